"""Lowering of statements: assignments, ``if``, ``for`` (with break/continue/early return),
``return``, ``xs.append(v)`` and ``pass``.

Variables live in an environment (name -> SSA value). Branches and loop bodies lower into their
own regions with a copy of it; afterwards the values that differ come back as ``fmpc.if`` results
or ``fmpc.for`` carried values. A name assigned on only some paths becomes ``Undefined``, which is
an error only if it is read later.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

from fmpc.frontend.builder import RETURN_SLOT, Env, Loop, Undefined
from fmpc.frontend.comprehensions import Target
from fmpc.frontend.expressions import BINARY_OPS, UNSUPPORTED_BINARY
from fmpc.frontend.mutations import LIST_METHODS, MutationMixin, mutation_target
from fmpc.frontend.typesys import PendingType, annotation_type, converts, describe, join
from fmpc.ir.core import Region, Value
from fmpc.ir.ops import (
    BreakOp,
    ContinueOp,
    ForOp,
    IfOp,
    MakeListOp,
    NotOp,
    ReturnOp,
    YieldOp,
)
from fmpc.ir.types import Bool, Int, ListType, Type


def assigned_names(nodes: Sequence[ast.AST]) -> list[str]:
    """Names a block (re)binds, in first-seen order; comprehensions and lambdas are own scopes.

    ``xs.append(v)`` (and the other list methods of ``mutations``) counts as rebinding ``xs``.
    """
    found: dict[str, None] = {}
    stack = list(reversed(nodes))
    while stack:
        node = stack.pop()
        if isinstance(
            node, ast.ListComp | ast.GeneratorExp | ast.SetComp | ast.DictComp | ast.Lambda
        ):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            found[node.id] = None
        target = mutation_target(node)
        if target is not None:
            found[target] = None
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return list(found)


def contains_return(nodes: Sequence[ast.AST]) -> bool:
    """Whether a ``return`` statement occurs anywhere in ``nodes``."""
    return any(isinstance(n, ast.Return) for node in nodes for n in ast.walk(node))


class StatementMixin(MutationMixin):
    """Statements, blocks and structured control flow."""

    def lower_block(self, stmts: Sequence[ast.stmt]) -> bool:
        for i, stmt in enumerate(stmts):
            if not self.lower_stmt(stmt):
                if i + 1 < len(stmts):
                    self.warn(stmts[i + 1], "unreachable code")
                return False
        return True

    def lower_stmt(self, stmt: ast.stmt) -> bool:
        """Lower one statement; ``False`` when it always leaves the block."""
        if stmt in self.program.rejected:
            self.forget(assigned_names([stmt]))
            return True
        method = getattr(self, f"stmt_{type(stmt).__name__}", None)
        if method is None:
            self.error(stmt, f"{type(stmt).__name__} statements are not supported")
            self.forget(assigned_names([stmt]))
            return True
        falls: bool = method(stmt)
        return falls

    # ------------------------------------------------------------------ simple statements

    def stmt_Pass(self, node: ast.Pass) -> bool:  # noqa: N802 - dispatch by node class
        return True

    def stmt_Expr(self, node: ast.Expr) -> bool:  # noqa: N802
        value = node.value
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            return True  # a docstring or a string used as a comment
        if mutation_target(value) is not None:
            assert isinstance(value, ast.Call)
            self.mutate(value)
            return True
        func = value.func if isinstance(value, ast.Call) else None
        if isinstance(func, ast.Attribute) and func.attr in LIST_METHODS:
            assert isinstance(value, ast.Call)
            receiver = self.expr(func.value)
            self.lower_arguments(value)
            if not self.quiet(receiver):
                message = f"{func.attr} is only supported on a list variable: `xs.{func.attr}(...)`"
                self.error(value, message)
            return True
        self.expr(value)
        if not isinstance(value, ast.Call):
            self.warn(node, "this expression has no effect")
        return True

    def stmt_Assign(self, node: ast.Assign) -> bool:  # noqa: N802
        if isinstance(node.value, ast.Tuple) and any(
            isinstance(t, ast.Tuple) for t in node.targets
        ):
            for element in node.value.elts:  # `a, b = x, y`: one message, at the target
                self.expr(element)
            value = self.poison()
        else:
            value = self.expr(node.value)
        for target in node.targets:
            self.assign(target, value)
        return True

    def assign(self, target: ast.expr, value: Value) -> None:
        """Bind ``value`` to an assignment target (only plain names are allowed)."""
        if isinstance(target, ast.Name):
            self.bind(target.id, value)
            return
        if isinstance(target, ast.Tuple | ast.List):
            self.error(
                target, "tuple unpacking is not supported; assign each variable on its own line"
            )
        elif isinstance(target, ast.Subscript):
            self.error(
                target, "item assignment is not supported; build a new list (e.g. a comprehension)"
            )
        else:
            self.error(target, "only variables can be assigned to")
        self.forget(assigned_names([target]))

    def stmt_AnnAssign(self, node: ast.AnnAssign) -> bool:  # noqa: N802
        declared = annotation_type(node.annotation)
        if isinstance(declared, str):
            self.error(node.annotation, declared)
        if node.value is None:
            self.error(node, "an annotated variable needs a value, e.g. `xs: list[str] = []`")
            self.forget(assigned_names([node.target]))
            return True
        wanted = declared if isinstance(declared, Type) else None
        if wanted is not None and isinstance(node.value, ast.List) and not node.value.elts:
            if not isinstance(wanted, ListType):
                value = self.error(node.value, f"an empty list cannot be a {describe(wanted)}")
            else:
                value = self.emit(MakeListOp, node.value, [], [wanted]).result
        else:
            value = self.expr(node.value)
            if wanted is not None:
                value = self.coerce(value, wanted, node.value, "the assigned value")
        self.assign(node.target, value)
        return True

    def stmt_AugAssign(self, node: ast.AugAssign) -> bool:  # noqa: N802
        target = node.target
        if not isinstance(target, ast.Name):
            self.expr(node.value)
            self.error(target, "augmented assignment is only supported on variables")
            return True
        current = self.expr(ast.copy_location(ast.Name(target.id, ast.Load()), target))
        right = self.expr(node.value)
        if type(node.op) in UNSUPPORTED_BINARY:
            self.error(node, f"the {UNSUPPORTED_BINARY[type(node.op)]}= operator is not supported")
            self.forget([target.id])
            return True
        cls, symbol = BINARY_OPS[type(node.op)]
        self.bind(target.id, self.binary(cls, symbol, current, right, node))
        return True

    # ------------------------------------------------------------------ if

    def stmt_If(self, node: ast.If) -> bool:  # noqa: N802
        cond = self.condition(node.test)
        env = self.frame.env
        then_region, else_region = Region(), Region()
        with self.in_region(then_region) as then_env:
            then_narrowed = self.narrow(node.test, True)
            then_falls = self.lower_block(node.body)
        with self.in_region(else_region) as else_env:
            else_narrowed = self.narrow(node.test, False)
            else_falls = self.lower_block(node.orelse)
        if not then_falls:
            return self.hoist(cond, then_region, else_region, else_env, node)
        if not else_falls:
            negated = self.emit(NotOp, node.test, [cond], [Bool]).result
            return self.hoist(negated, else_region, then_region, then_env, node)
        self.unnarrow(then_env, then_narrowed)
        self.unnarrow(else_env, else_narrowed)
        merged = self.merge(env, [(then_region, then_env), (else_region, else_env)], node)
        op = self.emit(
            IfOp, node, [cond], [t for _, t in merged], regions=[then_region, else_region]
        )
        for (name, _), result in zip(merged, op.results, strict=True):
            result.name_hint = name
            env[name] = result
        return True

    def hoist(
        self, cond: Value, leaving: Region, rest: Region, rest_env: Env, node: ast.If
    ) -> bool:
        """``if cond: <leaves>`` then ``rest``'s ops after it: no results to merge."""
        skip = Region()
        skip.append(YieldOp([], [], loc=self.loc(node)))
        self.emit(IfOp, node, [cond], [], regions=[leaving, skip])
        for op in list(rest.ops):
            self.region.append(op)
        self.frame.env.clear()
        self.frame.env.update(rest_env)
        return rest.terminator is None

    def merge(
        self, before: Env, branches: list[tuple[Region, Env]], node: ast.stmt
    ) -> list[tuple[str, Type]]:
        """Join the variables two branches changed; each branch yields them. Returns the results."""
        names = [
            n
            for _, env in branches
            for n in env
            if any(e.get(n) is not before.get(n) for _, e in branches)
        ]
        merged: list[tuple[str, list[Value], Type]] = []
        for name in dict.fromkeys(names):
            values = [env.get(name) for _, env in branches]
            if not all(isinstance(v, Value) for v in values):
                before[name] = Undefined(
                    f"it is only assigned on some paths through the if at line {node.lineno}"
                )
                continue
            present = [v for v in values if isinstance(v, Value)]
            joined = self.meet(
                present,
                node,
                f"variable '{name}' is {{}} on one branch of the if and {{}} on the other; give it one type",
            )
            if joined is None:
                before[name] = self.poison()
                continue
            merged.append((name, present, joined))
        for i, (region, _) in enumerate(branches):
            self.yield_in(
                region, [vals[i] for _, vals, _ in merged], [t for _, _, t in merged], node
            )
        return [(name, t) for name, _, t in merged]

    # ------------------------------------------------------------------ for

    def stmt_For(self, node: ast.For) -> bool:  # noqa: N802
        if node.orelse:
            self.error(
                node.orelse[0],
                "for ... else is not supported; use a flag variable or an early return",
            )
        found = self.loop_target(node.target, node.iter)
        if found is None:
            self.forget(assigned_names(node.body))
            return True
        target, seq_node = found
        seq = self.iterable(seq_node)
        element = seq.type.element if isinstance(seq.type, ListType) else self.poison().type
        env = self.frame.env
        assigned = assigned_names([node.target, *node.body])
        carried = [n for n in env if n in assigned and isinstance(env[n], Value)]
        if self.frame.mode == "wrapper" and contains_return(node.body):
            carried.append(RETURN_SLOT)
        loop = Loop(carried, [self.carried_type(n, node) for n in carried], node=node)
        inits = self.carried_values(loop, node)
        region = self.loop_body(node, loop, target, element)
        op = self.emit(ForOp, node, [seq, *inits], loop.types, regions=[region])
        for name, result in zip(carried, op.results, strict=True):
            result.name_hint = name if name != RETURN_SLOT else None
            env[name] = result
        for name in assigned:
            if name not in carried:
                env[name] = Undefined(
                    f"it is only assigned inside the for loop at line {node.lineno}"
                )
        if RETURN_SLOT in carried:
            self.propagate_return(node)
        return True

    def loop_body(self, node: ast.For, loop: Loop, target: Target, element: Type) -> Region:
        """The region of a for loop: ``(index, item, carried...)``, ending in a yield."""
        names = [n if n != RETURN_SLOT else None for n in loop.carried]
        region = Region([Int, element, *loop.types], arg_names=[target.index, target.item, *names])
        self.frame.loops.append(loop)
        try:
            with self.in_region(region) as env:
                for name, arg in zip(loop.carried, region.args[2:], strict=True):
                    env[name] = arg
                if target.index is not None:
                    self.bind(target.index, region.args[0])
                self.bind(target.item, region.args[1])
                self.loop_items.add(region.args[1])
                if self.lower_block(node.body):
                    self.emit(YieldOp, node, self.carried_values(loop, node))
        finally:
            self.frame.loops.pop()
        return region

    def carried_type(self, name: str, node: ast.For) -> Type:
        """The type a loop carries ``name`` with: its type before the loop, widened if learned."""
        value = self.frame.env[name]
        assert isinstance(value, Value)
        learned = self.hints.get(self.hint_key("carry", node, name))
        if learned is None:
            return value.type
        return join(value.type, learned) or value.type

    def carried_values(self, loop: Loop, node: ast.AST) -> list[Value]:
        """The current values of ``loop``'s carried variables, converted to the carried types."""
        out = []
        for name, t in zip(loop.carried, loop.types, strict=True):
            value = self.frame.env.get(name)
            out.append(
                self.carry(value, t, name, loop, node)
                if isinstance(value, Value)
                else self.poison()
            )
        return out

    def carry(self, value: Value, want: Type, name: str, loop: Loop, node: ast.AST) -> Value:
        """``value`` as a carried ``want``; a float where an int was carried widens the loop."""
        if value.type == want or self.quiet(value):
            return value
        if converts(value.type, want):
            return self.coerce(value, want, node, f"variable '{name}'")
        wider = join(want, value.type)
        if wider is not None:
            loop_node = loop.node if loop.node is not None else node
            self.learn(self.hint_key("carry", loop_node, name), wider)
            return self.poison()
        message = f"variable '{name}' is {{}} in the loop but {{}} before it; give it one type"
        self.meet([value, Value(want)], node, message)
        return self.poison()

    def propagate_return(self, node: ast.For) -> None:
        """After a loop of an inlined helper that may have returned: leave the enclosing loop too."""
        slot = self.frame.env[RETURN_SLOT]
        assert isinstance(slot, Value)
        returned = self.truth(slot, node)
        leave, stay = Region(), Region()
        with self.in_region(leave):
            self.emit(BreakOp, node, self.carried_values(self.frame.loops[-1], node))
        stay.append(YieldOp([], [], loc=self.loc(node)))
        self.emit(IfOp, node, [returned], [], regions=[leave, stay])

    def stmt_Break(self, node: ast.Break) -> bool:  # noqa: N802
        return self.loop_exit(BreakOp, node, "break")

    def stmt_Continue(self, node: ast.Continue) -> bool:  # noqa: N802
        return self.loop_exit(ContinueOp, node, "continue")

    def loop_exit(self, cls: type[BreakOp] | type[ContinueOp], node: ast.stmt, word: str) -> bool:
        """``break`` / ``continue`` with the innermost loop's carried values."""
        loops = self.frame.loops
        if not loops or loops[-1].synthetic:
            self.error(node, f"'{word}' outside a loop")
            return True
        self.emit(cls, node, self.carried_values(loops[-1], node))
        return False

    # ------------------------------------------------------------------ return

    def stmt_Return(self, node: ast.Return) -> bool:  # noqa: N802
        value = self.const(None, node) if node.value is None else self.expr(node.value)
        if self.frame.result is not None:
            value = self.coerce(value, self.frame.result, node.value or node, "the returned value")
        if self.frame.mode == "wrapper":
            self.wrapped_return(value, node)
            return False
        if self.frame.mode == "tail":
            self.error(node, "return is not supported at this place in a helper function")
            return False
        op = self.emit(ReturnOp, node, [value])
        self.frame.returns.append((op, node))
        return False

    def wrapped_return(self, value: Value, node: ast.AST) -> None:
        """``return v`` in an inlined helper: leave its loops with ``[v]`` in the return slot."""
        slot = self.frame.env[RETURN_SLOT]
        assert isinstance(slot, Value) and isinstance(slot.type, ListType)
        element = slot.type.element
        wider = join(element, value.type)
        if isinstance(element, PendingType):
            self.learn(element.key, value.type)
        elif self.frame.result is None and wider is not None and wider != element:
            self.learn(self.return_key(), wider)
            value = self.poison()
        elif value.type != element:
            value = self.coerce(value, element, node, f"the value returned by '{self.frame.name}'")
        self.frame.env[RETURN_SLOT] = self.emit(
            MakeListOp, node, [value], [ListType(value.type)]
        ).result
        self.emit(BreakOp, node, self.carried_values(self.frame.loops[-1], node))

    def return_key(self) -> tuple[object, ...]:
        """The hint key of the current inlined helper's result type."""
        context = self.frame.context
        return ("ret", context, context[-1] if context else (1, 0))
