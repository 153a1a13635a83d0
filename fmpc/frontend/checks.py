"""Syntactic checks: the program's shape and the constructs that are never allowed.

This pass runs once over the whole module (helpers that are never called included) before any
lowering. It reports every rejected construct with a message saying what to write instead, and
records the rejected nodes so the lowering skips them without a second message.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from fmpc.frontend.diagnostics import Reporter
from fmpc.library import Library

ENTRY = "execute_command"

# Built-in functions the subset gives a meaning to (see fmpc.frontend.builtins).
SUPPORTED_BUILTINS = frozenset(
    {
        "len",
        "abs",
        "round",
        "int",
        "float",
        "str",
        "bool",
        "min",
        "max",
        "sum",
        "any",
        "all",
        "sorted",
        "enumerate",
    }  # fmt: skip
)

FORBIDDEN_NAMES: Mapping[str, str] = MappingProxyType(
    {
        name: f"'{name}' is not allowed: programs cannot run or inspect code dynamically; call "
        "library functions directly"
        for name in (
            "exec",
            "eval",
            "compile",
            "__import__",
            "getattr",
            "setattr",
            "delattr",
            "hasattr",
            "globals",
            "locals",
            "vars",
            "dir",
            "breakpoint",
            "type",
            "isinstance",
            "id",
            "object",
            "super",
            "callable",
            "memoryview",
        )  # fmt: skip
    }
    | {
        "open": "'open' is not allowed: programs cannot use files; the image is the only input",
        "input": "'input' is not allowed: the image is the only input",
        "print": "print is not supported: a program communicates only through its return value",
        "help": "'help' is not available in programs",
        "exit": "'exit' is not allowed: a program ends by returning a value",
        "quit": "'quit' is not allowed: a program ends by returning a value",
    }
)

_STATEMENT_ADVICE: dict[type, str] = {  # completed below, then frozen
    ast.While: "while loops are not supported; iterate over a list with `for x in xs:` "
    "(use break to stop early)",
    ast.Try: "try statements are not supported; library calls do not raise in programs",
    ast.With: "with statements are not supported",
    ast.AsyncWith: "async code is not supported",
    ast.AsyncFor: "async code is not supported",
    ast.AsyncFunctionDef: "async functions are not supported; use `def`",
    ast.Global: "global is not supported; pass values as arguments and return results",
    ast.Nonlocal: "nonlocal is not supported; pass values as arguments and return results",
    ast.Import: "imports are not allowed; library functions (find, exists, ...) are available "
    "without importing",
    ast.ImportFrom: "imports are not allowed; library functions (find, exists, ...) are available "
    "without importing",
    ast.ClassDef: "classes are not supported; write helper functions at module level",
    ast.Delete: "del is not supported; build a new list or assign a new value instead",
    ast.Raise: "raise is not supported; return a value instead",
    ast.Assert: "assert is not supported; use `if not condition: return ...`",
    ast.Match: "match statements are not supported; use if/elif/else",
    ast.FunctionDef: "nested functions are not supported; define helper functions at module level",
}

EXPRESSION_ADVICE: Mapping[type, str] = MappingProxyType(
    {
        ast.Yield: "generators (yield) are not supported; build and return a list",
        ast.YieldFrom: "generators (yield) are not supported; build and return a list",
        ast.Await: "async code is not supported",
        ast.NamedExpr: "the walrus operator := is not supported; assign on a separate line",
        ast.Starred: "*-unpacking is not supported; pass arguments one by one",
        ast.Dict: "dicts are not supported; use lists (or several variables)",
        ast.DictComp: "dicts are not supported; use lists (or several variables)",
        ast.Set: "sets are not supported; use a list",
        ast.SetComp: "sets are not supported; use a list",
    }
)

for _name in ("TryStar", "TypeAlias"):
    if hasattr(ast, _name):
        _STATEMENT_ADVICE[getattr(ast, _name)] = f"{_name} statements are not supported"
STATEMENT_ADVICE: Mapping[type, str] = MappingProxyType(_STATEMENT_ADVICE)
del _STATEMENT_ADVICE


@dataclass
class Program:
    """The functions of a checked module and the nodes already reported as rejected."""

    entry: ast.FunctionDef | None = None
    helpers: dict[str, ast.FunctionDef] = field(default_factory=dict)
    rejected: set[ast.AST] = field(default_factory=set)
    unavailable: set[str] = field(default_factory=set)  # names bound by rejected code


def check_program(tree: ast.Module, library: Library, report: Reporter) -> Program:
    """Check the module's shape and every function body; report what is not allowed."""
    program = Program()
    checker = _Checker(report, program)
    for index, stmt in enumerate(tree.body):
        if isinstance(stmt, ast.FunctionDef):
            _add_function(stmt, program, library, checker)
        elif index == 0 and _is_docstring(stmt):
            continue
        else:
            checker.reject(stmt, _module_statement_advice(stmt))
    if program.entry is None and not _defines_entry(tree):
        report.at(1, 0, f"the program must define `def {ENTRY}(image):`")
    return program


def _defines_entry(tree: ast.Module) -> bool:
    return any(getattr(s, "name", None) == ENTRY for s in tree.body)


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _module_statement_advice(stmt: ast.stmt) -> str:
    if type(stmt) in STATEMENT_ADVICE and not isinstance(stmt, ast.FunctionDef):
        return STATEMENT_ADVICE[type(stmt)]
    return (
        "only function definitions (and a docstring) may appear at module level; move this "
        f"statement into `{ENTRY}` or a helper function"
    )


def _add_function(
    fn: ast.FunctionDef, program: Program, library: Library, checker: _Checker
) -> None:
    report = checker.report
    if fn.name == ENTRY or fn.name not in program.helpers:
        checker.check_signature(fn)
    if fn.name == ENTRY:
        if program.entry is not None:
            report.at(fn.lineno, fn.col_offset, f"`{ENTRY}` is defined twice")
        else:
            program.entry = fn
            _check_entry_params(fn, report)
    elif fn.name in program.helpers:
        report.at(fn.lineno, fn.col_offset, f"function '{fn.name}' is defined twice")
    elif fn.name in library or fn.name in SUPPORTED_BUILTINS or fn.name == "ImagePatch":
        report.at(
            fn.lineno,
            fn.col_offset,
            f"helper function '{fn.name}' has the name of a library or built-in function; "
            "rename it",
        )
    else:
        program.helpers[fn.name] = fn
    for stmt in fn.body:
        checker.visit(stmt)


def _check_entry_params(fn: ast.FunctionDef, report: Reporter) -> None:
    args = fn.args
    count = len(args.posonlyargs) + len(args.args) + len(args.kwonlyargs)
    count += int(args.vararg is not None) + int(args.kwarg is not None)
    if count != 1 or len(args.args) != 1:
        report.at(
            fn.lineno,
            fn.col_offset,
            f"`{ENTRY}` must take exactly one parameter, the input image: `def {ENTRY}(image):`",
        )


class _Checker(ast.NodeVisitor):
    """Reports rejected node kinds, dunder names and forbidden built-ins inside functions."""

    def __init__(self, report: Reporter, program: Program) -> None:
        self.report = report
        self.program = program

    def reject(self, node: ast.AST, message: str) -> None:
        """Report ``node`` and remember it (and the names it binds) so lowering stays quiet."""
        self.program.rejected.add(node)
        self.program.unavailable.update(_bound_names(node))
        self.report.at(getattr(node, "lineno", 1), getattr(node, "col_offset", 0), message)

    def check_signature(self, fn: ast.FunctionDef) -> None:
        """Decorators, defaults, *args/**kwargs, keyword-only and dunder names are rejected."""
        for decorator in fn.decorator_list:
            self.reject(decorator, "decorators are not supported; remove the @decorator line")
        args = fn.args
        for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
            self.reject(default, "default argument values are not supported; pass every argument")
        for star in (args.vararg, args.kwarg):
            if star is not None:
                self.reject(star, "*args and **kwargs are not supported; name each parameter")
        for arg in [*args.posonlyargs, *args.kwonlyargs]:
            self.reject(arg, "keyword-only and positional-only parameters are not supported")
        if _is_dunder(fn.name):
            self.reject(fn, f"dunder names like '{fn.name}' are not allowed")
        for arg in args.args:
            self.check_name(arg, arg.arg)

    def check_name(self, node: ast.AST, name: str) -> None:
        """Dunder and forbidden names are rejected wherever they appear."""
        if name in FORBIDDEN_NAMES:
            self.reject(node, FORBIDDEN_NAMES[name])
        elif _is_dunder(name):
            self.reject(node, f"dunder names like '{name}' are not allowed")

    def generic_visit(self, node: ast.AST) -> None:
        advice = STATEMENT_ADVICE.get(type(node)) or EXPRESSION_ADVICE.get(type(node))
        if advice is None:
            super().generic_visit(node)
            return
        self.reject(node, advice)
        if isinstance(node, _DEFINITIONS):
            return  # what a rejected def or class holds is part of that one mistake
        for part in ("body", "handlers", "orelse", "finalbody"):
            for inner in getattr(node, part, None) or ():
                self.visit(inner)  # the statements of a rejected while/try/with: more mistakes

    def visit_Name(self, node: ast.Name) -> None:  # noqa: N802 - ast.NodeVisitor protocol
        self.check_name(node, node.id)
        if isinstance(node.ctx, ast.Store) and node.id in SUPPORTED_BUILTINS:
            self.reject(node, f"'{node.id}' is a built-in function; choose another variable name")

    def visit_Attribute(self, node: ast.Attribute) -> None:  # noqa: N802
        if _is_dunder(node.attr):
            self.reject(node, f"dunder names like '{node.attr}' are not allowed")
            return
        self.generic_visit(node)


_BINDERS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.ExceptHandler)
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _bound_names(node: ast.AST) -> set[str]:
    """Names a (rejected) construct would bind: targets, imports, defs, classes, handlers."""
    names: set[str] = set()
    for inner in ast.walk(node):
        if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Store):
            names.add(inner.id)
        elif isinstance(inner, ast.alias):
            names.add(inner.asname or inner.name.split(".")[0])
        elif isinstance(inner, _BINDERS) and getattr(inner, "name", None):
            names.add(str(getattr(inner, "name", "")))
    return names


def _is_dunder(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")
