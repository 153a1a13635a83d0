"""Lowering of calls: library functions (both styles), string methods and helper functions."""

from __future__ import annotations

import ast
from collections.abc import Sequence

from fmpc.frontend.checks import SUPPORTED_BUILTINS
from fmpc.frontend.comprehensions import ComprehensionMixin
from fmpc.frontend.expressions import suggestion
from fmpc.frontend.typesys import describe, is_float_target
from fmpc.ir.core import Attr, Op, Value
from fmpc.ir.ops import (
    CallOp,
    EndsWithOp,
    JoinOp,
    LibOp,
    LowerOp,
    SplitOp,
    StartsWithOp,
    StripOp,
    UpperOp,
)
from fmpc.ir.types import Bool, Image, ListType, Patch, Str, Type
from fmpc.library import LibraryFunction

# name: (op class, accepted argument counts, argument type, result type)
_STRING_METHODS: dict[str, tuple[type[Op], tuple[int, ...], Type, Type]] = {
    "lower": (LowerOp, (0,), Str, Str),
    "upper": (UpperOp, (0,), Str, Str),
    "strip": (StripOp, (0,), Str, Str),
    "split": (SplitOp, (0, 1), Str, ListType(Str)),
    "join": (JoinOp, (1,), ListType(Str), Str),
    "startswith": (StartsWithOp, (1,), Str, Bool),
    "endswith": (EndsWithOp, (1,), Str, Bool),
}
_CONTAINERS = ("list", "tuple", "dict", "set", "range", "zip", "map", "filter", "reversed")

Argument = tuple[Value, ast.AST]


def _fits(got: Type, want: Type) -> bool:
    """Whether a receiver of type ``got`` may be the first argument of a ``want`` method."""
    return got == want or (got == Image and want == Patch) or is_float_target(got, want)


class CallMixin(ComprehensionMixin):
    """``f(...)`` and ``x.m(...)``."""

    def expr_Call(self, node: ast.Call) -> Value:  # noqa: N802 - dispatch by node class
        func = node.func
        if isinstance(func, ast.Name):
            return self.call_name(func.id, node)
        if isinstance(func, ast.Attribute):
            return self.call_method(func, node)
        self.lower_arguments(node)
        return self.error(
            node, "only library functions, helper functions and methods can be called"
        )

    # ------------------------------------------------------------------ plain names

    def call_name(self, name: str, node: ast.Call) -> Value:
        """``name(...)``: a helper, a built-in or a library function."""
        unavailable = name in self.program.unavailable and name not in self.frame.env
        if node.func in self.program.rejected or unavailable:
            self.lower_arguments(node)
            return self.poison()
        if name in self.program.helpers:
            return self.call_helper(name, node)
        if name in SUPPORTED_BUILTINS:
            return self.call_builtin(name, node)
        entry = self.library.get("image_patch" if name == "ImagePatch" else name)
        if entry is not None and (entry.function or name == "ImagePatch"):
            return self.library_call(entry, None, node, name)
        self.lower_arguments(node)
        return self.error(node, self.unknown_function(name, entry))

    def unknown_function(self, name: str, entry: LibraryFunction | None) -> str:
        """Why ``name(...)`` cannot be called, with the closest known name."""
        if entry is not None and entry.attribute:
            return f"'{name}' is an attribute of a patch, not a function; write patch.{name}"
        if entry is not None:
            return f"'{name}' is a method; write patch.{name}(...)"
        if name in _CONTAINERS:
            return (
                f"{name}() is not supported; iterate over lists directly, use enumerate(xs) for "
                "indices and list literals or comprehensions to build lists"
            )
        if isinstance(self.frame.env.get(name), Value):
            return f"'{name}' is a variable, not a function"
        known = [*self.program.helpers, *SUPPORTED_BUILTINS, "ImagePatch"]
        known += [f.name for f in self.library.functions if f.function]
        return f"unknown function '{name}'{suggestion(name, known)}"

    def call_helper(self, name: str, node: ast.Call) -> Value:
        """Bind the arguments of helper ``name`` and inline it."""
        fn = self.program.helpers[name]
        params = [a.arg for a in fn.args.args]
        bound = self.bind_arguments(params, [], node, f"{name}()")
        if bound is None or self.quiet(*(v for v, _ in bound)):
            return self.poison()
        return self.inline(name, [v for v, _ in bound], node)

    # ------------------------------------------------------------------ methods

    def call_method(self, func: ast.Attribute, node: ast.Call) -> Value:
        """``receiver.method(...)``: a string method or a library method."""
        method = func.attr
        if method == "append":
            self.lower_arguments(node)
            return self.error(node, "xs.append(v) must be a statement of its own (it returns None)")
        base = func.value
        if (
            isinstance(base, ast.Name)
            and base.id not in self.frame.env
            and base.id not in self.program.helpers
        ):
            self.lower_arguments(node)
            if base.id in self.program.unavailable:
                return self.poison()
            names = [f.name for f in self.library.functions if f.function]
            return self.error(
                node,
                f"unknown function '{base.id}.{method}': modules are not available{suggestion(method, names)}",
            )
        receiver = self.expr(base)
        if receiver.type == Str:
            return self.string_method(method, receiver, node)
        entry = self.library.get(method)
        if entry is not None and entry.ignores_receiver and receiver.type in (Patch, Image):
            return self.library_call(entry, None, node, f"{describe(receiver.type)}.{method}")
        if entry is not None and entry.method and _fits(receiver.type, entry.params[0][1]):
            return self.library_call(entry, receiver, node, f"{describe(receiver.type)}.{method}")
        self.lower_arguments(node)
        if self.quiet(receiver):
            return self.poison()
        return self.error(node, self.unknown_method(method, receiver.type, entry))

    def unknown_method(self, method: str, receiver: Type, entry: LibraryFunction | None) -> str:
        """Why ``x.method(...)`` cannot be called on a ``receiver``."""
        if entry is not None and entry.attribute:
            return f"'{method}' is an attribute, not a method; write patch.{method}"
        if entry is not None and entry.function and receiver in (Patch, Image):
            return f"'{method}' is a function, not a method; call it as {method}(...)"
        names: list[str] = []
        if receiver in (Patch, Image):
            names = [f.name for f in self.library.functions if f.method]
        elif isinstance(receiver, ListType) and method == "sort":
            return "lists have no sort(); use sorted(xs, key=lambda x: ..., reverse=True)"
        elif isinstance(receiver, ListType):
            return f"{describe(receiver)} has no method '{method}'; lists support xs.append(v) only"
        return f"{describe(receiver)} has no method '{method}'{suggestion(method, names)}"

    def string_method(self, method: str, receiver: Value, node: ast.Call) -> Value:
        """``s.lower()``, ``s.split(sep)``, ``sep.join(xs)``, ... ."""
        args = [self.expr(a) for a in node.args]
        spec = _STRING_METHODS.get(method)
        if spec is None:
            return self.error(
                node,
                f"str has no supported method '{method}'{suggestion(method, list(_STRING_METHODS))}",
            )
        cls, counts, arg_type, result = spec
        if node.keywords or len(args) not in counts:
            allowed = " or ".join(str(c) for c in counts)
            return self.error(node, f"str.{method}() takes {allowed} positional argument(s)")
        coerced = [
            self.coerce(v, arg_type, a, f"the argument of str.{method}()")
            for v, a in zip(args, node.args, strict=True)
        ]
        if self.quiet(receiver, *coerced):
            return self.poison()
        return self.emit(cls, node, [receiver, *coerced], [result]).result

    # ------------------------------------------------------------------ library calls

    def library_call(
        self, entry: LibraryFunction, receiver: Value | None, node: ast.Call, spelled: str
    ) -> Value:
        """A call of library function ``entry``; ``receiver`` fills its first parameter."""
        params = [name for name, _ in entry.params]
        given = [] if receiver is None else [(receiver, node.func)]
        bound = self.bind_arguments(params, given, node, f"{spelled}()")
        if bound is None:
            return self.poison()
        values = [
            self.coerce(v, t, src, f"argument '{p}' of {spelled}()")
            for (v, src), (p, t) in zip(bound, entry.params, strict=True)
        ]
        if self.quiet(*values):
            return self.poison()
        if entry.routable:
            attrs: dict[str, Attr] = {"fn": entry.name, "site": 0}  # sites are numbered at the end
            return self.emit(CallOp, node, values, [entry.result], attrs).result
        return self.emit(LibOp, node, values, [entry.result], {"fn": entry.name}).result

    def lower_arguments(self, node: ast.Call) -> list[Value]:
        """Lower every argument (to report their own errors) in source order."""
        values = [self.expr(a) for a in node.args]
        values += [self.expr(k.value) for k in node.keywords]
        return values

    def bind_arguments(
        self,
        params: Sequence[str],
        given: Sequence[Argument],
        node: ast.Call,
        spelled: str,
    ) -> list[Argument] | None:
        """Match positional and keyword arguments to ``params``; report arity mistakes."""
        slots: dict[int, Argument] = dict(enumerate(given))
        positional = [(self.expr(a), a) for a in node.args]
        keywords = [(k, self.expr(k.value)) for k in node.keywords]
        ok = True
        start = len(given)
        takes = len(params) - start
        if len(positional) > takes:
            names = ", ".join(params[start:])
            ok = not self.error(
                node,
                f"{spelled} takes {takes} argument(s) ({names}) but {len(positional)} were given",
            )
        for i, arg in enumerate(positional[:takes]):
            slots[start + i] = arg
        for keyword, value in keywords:
            ok = self.bind_keyword(params, slots, keyword, value, spelled) and ok
        missing = [p for i, p in enumerate(params) if i not in slots]
        if missing and ok:
            ok = not self.error(node, f"{spelled} is missing argument(s): {', '.join(missing)}")
        if not ok:
            return None
        return [slots[i] for i in range(len(params))]

    def bind_keyword(
        self,
        params: Sequence[str],
        slots: dict[int, Argument],
        keyword: ast.keyword,
        value: Value,
        spelled: str,
    ) -> bool:
        """Put one keyword argument in its slot; report unknown or repeated names."""
        if keyword.arg is None:
            self.error(keyword, "**kwargs is not supported; pass arguments by name one by one")
            return False
        if keyword.arg not in params:
            listing = ", ".join(params)
            self.error(
                keyword, f"{spelled} has no parameter '{keyword.arg}'; its parameters are {listing}"
            )
            return False
        index = params.index(keyword.arg)
        if index in slots:
            self.error(keyword, f"{spelled} got several values for argument '{keyword.arg}'")
            return False
        slots[index] = (value, keyword.value)
        return True
