"""Lowering of functions: the entry ``execute_command`` and helpers inlined at each call.

A helper whose returns all sit in tail position (a final ``return``, or ``if``/``else`` branches
that each end in one) is inlined as plain values and ``fmpc.if`` results. A helper that returns
from inside a loop is inlined as a one-iteration ``fmpc.for`` carrying a one-element list: a
``return v`` breaks out of the loops with ``[v]``, and the call's value is that element.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

from fmpc.frontend.builder import RETURN_SLOT, Frame, Loop, node_pos
from fmpc.frontend.checks import ENTRY
from fmpc.frontend.statements import StatementMixin, contains_return
from fmpc.frontend.typesys import annotation_type, conversion_steps, describe, join
from fmpc.ir.core import Attr, Module, Op, Region, Value
from fmpc.ir.ops import CastOp, ForOp, FuncOp, IfOp, IndexOp, ReturnOp
from fmpc.ir.types import Image, Int, ListType, NoneT, Optional, Type

MAX_INLINE_DEPTH = 32


def always_returns(stmts: Sequence[ast.stmt]) -> bool:
    """Whether every path through ``stmts`` ends in a ``return``."""
    for stmt in stmts:
        if isinstance(stmt, ast.Return):
            return True
        if isinstance(stmt, ast.If) and always_returns(stmt.body) and always_returns(stmt.orelse):
            return True
    return False


def returns_a_value(stmts: Sequence[ast.stmt]) -> bool:
    """Whether some ``return`` in ``stmts`` gives a value other than a literal None."""
    returned = [n.value for s in stmts for n in ast.walk(s) if isinstance(n, ast.Return)]
    return any(
        v is not None and not (isinstance(v, ast.Constant) and v.value is None) for v in returned
    )


def tail_shaped(stmts: Sequence[ast.stmt]) -> bool:
    """Whether every ``return`` in ``stmts`` is in tail position: none inside a loop, and of every
    ``if`` holding one, a branch always returns (so the code after it moves into one branch only)."""
    for stmt in stmts:
        if isinstance(stmt, ast.If) and contains_return([stmt]):
            if not (always_returns(stmt.body) or always_returns(stmt.orelse)):
                return False
            if not (tail_shaped(stmt.body) and tail_shaped(stmt.orelse)):
                return False
        elif not isinstance(stmt, ast.Return) and contains_return([stmt]):
            return False
    return True


class FunctionMixin(StatementMixin):
    """The program, the entry function and helper inlining."""

    def lower_program(self) -> Module:
        """The module: ``execute_command`` with every helper call inlined."""
        entry = self.program.entry
        funcs = [] if entry is None else [self.lower_entry(entry)]
        for name, fn in self.program.helpers.items():
            if name not in self.called:
                self.warn(fn, f"helper function '{name}' is never called, so it is not checked")
        module = Module(funcs)
        self.drop_unused_narrowings(module)
        return module

    def declared_result(self, fn: ast.FunctionDef) -> Type | None:
        """The ``-> T`` annotation of ``fn``, if any; ``T | None`` when ``fn`` can reach its end
        without a ``return`` (it then returns None, whatever the annotation says)."""
        if fn.returns is None:
            return None
        declared = annotation_type(fn.returns)
        if isinstance(declared, str):
            self.error(fn.returns, declared)
            return None
        return declared if always_returns(fn.body) else Optional(declared)

    def warn_falls_off(self, fn: ast.FunctionDef, what: str) -> None:
        """The warning for a function that can reach its end without a ``return``."""
        self.warn(
            fn.body[-1],
            f"{what} can reach its end without a return; it then returns None "
            "(its answer is optional)",
        )

    # ------------------------------------------------------------------ entry

    def lower_entry(self, fn: ast.FunctionDef) -> FuncOp:
        """``execute_command(image)`` as a ``fmpc.func``."""
        params = fn.args.args
        name = params[0].arg if params else "image"
        region = Region([Image], arg_names=[name])
        env: dict[str, Value] = {name: region.args[0]} if params else {}
        for extra in params[1:]:
            env[extra.arg] = self.poison()
        if (
            params
            and params[0].annotation is not None
            and annotation_type(params[0].annotation) != Image
        ):
            self.error(
                params[0].annotation,
                f"the parameter of `{ENTRY}` is the input image; annotate it as Image or not at all",
            )
        self.frame = Frame(ENTRY, dict(env), "entry", (), self.declared_result(fn))
        self.region = region
        falls = self.lower_block(fn.body)
        result = self.entry_result(fn, falls)
        attrs: dict[str, Attr] = {"sym_name": ENTRY, "result_type": result}
        return FuncOp([], [], attrs, [region], loc=self.loc(fn))

    def entry_result(self, fn: ast.FunctionDef, falls: bool) -> Type:
        """The entry's result type (declared, or joined over its returns); ends the body.

        Falling off the end returns None: the answer becomes optional, with a warning.
        """
        declared, returns = self.frame.result, self.frame.returns
        if falls:
            last = fn.body[-1]
            none = self.const(None, last)
            if declared is not None:
                none = self.coerce(none, declared, last, "the implicit None")
            implicit = self.emit(ReturnOp, last, [none])
            if declared not in (None, NoneT) or returns_a_value(fn.body):
                self.warn_falls_off(fn, f"`{ENTRY}`")
            returns.append((implicit, ast.copy_location(ast.Return(None), last)))
        if declared is not None:
            return declared
        joined: Type = NoneT if not returns else returns[0][0].operands[0].type
        for op, node in returns[1:]:
            both = join(joined, op.operands[0].type)
            if both is None:
                message = f"`{ENTRY}` returns {describe(op.operands[0].type)} here but {describe(joined)} elsewhere; all returns must have one type"
                self.type_error(node, message, joined, op.operands[0].type)
                return joined
            joined = both
        for op, _ in returns:
            self.convert_returned(op, joined)
        return joined

    def convert_returned(self, op: Op, want: Type) -> None:
        """Insert the conversions (Int/Bool -> Float, T -> T | None) before ``op`` that the
        joined type needs."""
        got = op.operands[0].type
        if got == want:
            return
        if isinstance(got, ListType):
            self.learn_from(got, want)
            if isinstance(want, ListType):
                return
        region = op.parent
        assert region is not None
        for step in conversion_steps(got, want):
            cast = CastOp([op.operands[0]], [step], loc=op.loc)
            region.insert(region.ops.index(op), cast)
            op.operands[0] = cast.result

    # ------------------------------------------------------------------ helpers

    def inline(self, name: str, args: list[Value], node: ast.Call) -> Value:
        self.called.add(name)
        if name in self.inline_stack:
            cycle = " -> ".join([*self.inline_stack[self.inline_stack.index(name) :], name])
            return self.error(
                node,
                f"recursive call ({cycle}); recursion is not supported, use a for loop over a list",
            )
        if len(self.inline_stack) >= MAX_INLINE_DEPTH:
            return self.error(node, f"helper calls nest deeper than {MAX_INLINE_DEPTH} levels")
        fn = self.program.helpers[name]
        env: dict[str, Value] = {}
        for param, value in zip(fn.args.args, args, strict=True):
            env[param.arg] = self.parameter(param, value, node)
        mode = "tail" if tail_shaped(fn.body) else "wrapper"
        declared = self.declared_result(fn)
        if not always_returns(fn.body) and (
            returns_a_value(fn.body) or declared not in (None, NoneT)
        ):
            self.warn_falls_off(fn, f"helper '{name}'")
        frame = Frame(name, dict(env), mode, (*self.frame.context, node_pos(node)), declared)
        saved = self.frame
        self.callers.append(saved)
        self.frame = frame
        self.inline_stack.append(name)
        try:
            return self.lower_tail(fn.body, fn) if mode == "tail" else self.lower_wrapped(fn, node)
        finally:
            self.inline_stack.pop()
            self.callers.pop()
            self.frame = saved

    def parameter(self, param: ast.arg, value: Value, call: ast.Call) -> Value:
        """An argument as the helper's parameter, converted to its annotation if any."""
        if param.annotation is None:
            return value
        declared = annotation_type(param.annotation)
        if isinstance(declared, str):
            return self.error(param.annotation, declared)
        return self.coerce(value, declared, call, f"argument '{param.arg}'")

    def lower_tail(self, stmts: Sequence[ast.stmt], end: ast.stmt) -> Value:
        """A tail-shaped body as a value: straight-line code, then ``return`` or an ``if`` whose
        branches end in returns (the code after such an ``if`` moves into the branch that falls
        through)."""
        for i, stmt in enumerate(stmts):
            if isinstance(stmt, ast.Return):
                if i + 1 < len(stmts):
                    self.warn(stmts[i + 1], "unreachable code")
                return self.tail_return(stmt)
            if isinstance(stmt, ast.If) and contains_return([stmt]):
                return self.tail_if(stmt, stmts[i + 1 :])
            self.lower_stmt(stmt)
        end = stmts[-1] if stmts else end
        none = self.const(None, end)
        if self.frame.result is not None:
            none = self.coerce(none, self.frame.result, end, "the implicit None")
        return none

    def tail_return(self, stmt: ast.Return) -> Value:
        """The value of a ``return`` in tail position."""
        value = self.const(None, stmt) if stmt.value is None else self.expr(stmt.value)
        if self.frame.result is not None:
            value = self.coerce(value, self.frame.result, stmt.value or stmt, "the returned value")
        return value

    def tail_if(self, stmt: ast.If, rest: Sequence[ast.stmt]) -> Value:
        """``if c: ... return a`` / ``else: ... return b`` as an ``fmpc.if`` with one result."""
        cond = self.condition(stmt.test)
        regions, values = [], []
        for branch in (stmt.body, stmt.orelse):
            region = Region()
            body = list(branch) if always_returns(branch) else [*branch, *rest]
            with self.in_region(region):
                values.append(self.lower_tail(body, stmt))
            regions.append(region)
        if rest and always_returns(stmt.body) and always_returns(stmt.orelse):
            self.warn(rest[0], "unreachable code")
        message = f"helper '{self.frame.name}' returns {{}} on one path and {{}} on another; give all returns one type"
        joined = self.meet(values, stmt, message)
        if joined is None:
            return self.poison()
        for region, value in zip(regions, values, strict=True):
            self.yield_in(region, [value], [joined], stmt)
        return self.emit(IfOp, stmt, [cond], [joined], regions=regions).result

    def lower_wrapped(self, fn: ast.FunctionDef, call: ast.Call) -> Value:
        """A helper that returns from inside loops, as a one-iteration loop (see module doc)."""
        declared = self.frame.result
        slot = (
            ListType(declared) if declared is not None else self.empty_list_type(self.return_key())
        )
        once = self.make_list([self.const(0, call)], Int, call)
        init = self.make_list([], slot.element, call)
        loop = Loop([RETURN_SLOT], [slot], synthetic=True, node=fn)
        region = Region([Int, Int, slot], arg_names=[None, None, None])
        self.frame.loops.append(loop)
        try:
            with self.in_region(region) as env:
                env[RETURN_SLOT] = region.args[2]
                if self.lower_block(fn.body):
                    end = fn.body[-1]
                    self.wrapped_return(self.const(None, end), end)
        finally:
            self.frame.loops.pop()
        op = self.emit(ForOp, call, [once, init], [slot], regions=[region])
        return self.emit(IndexOp, call, [op.results[0], self.const(0, call)], [slot.element]).result
