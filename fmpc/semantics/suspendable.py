"""The reference interpreter, able to pause at routable calls: what lets one thread run many inputs
at once and send their backend calls out together.

``SuspendableInterpreter.run_function_steps(func, args, run)`` is a generator that runs ``func``
exactly as ``run_function`` does, except that each routable call is served by
``call_routable_steps(op, args, run)``, itself a generator: whatever it yields (a request for a
backend, say) passes out to whoever drives the run, and what the driver sends back passes in.
``complete(steps)`` drives such a generator alone, serving each request with ``serve``::

    steps = interpreter.run_function_steps(module.entry, [image], run)
    answer = complete(steps, serve)   # serve(request) -> what the paused call needs

Only the ops that run a region containing a routable call need to pause, so only those have
generator forms here (``steps_IfOp``, ``steps_ForOp``, ...), with the reference rules' semantics:
``sorted`` computes every key first, ``min``/``max`` compare each key with the best so far,
``any``/``all``/``and``/``or`` stop where Python stops. Every other op runs its ordinary rule. A
subclass that overrides an op's ``visit_`` method without giving its ``steps_`` form keeps its
override: that op runs without pausing, and the calls inside it go through ``call_routable``.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from fmpc.ir.core import Op, Region, Value
from fmpc.ir.ops import (
    AllOp,
    AndOp,
    AnyOp,
    CallOp,
    FilterOp,
    ForOp,
    IfOp,
    MapOp,
    MaxOp,
    MinOp,
    OrOp,
    SortOp,
)
from fmpc.semantics.errors import ProgramError
from fmpc.semantics.interpreter import (
    Interpreter,
    RunState,
    _Break,
    _Continue,
    _Exit,
    _regions,
    _Return,
    bind_results,
)

Steps = Generator[Any, Any, Any]
"""A paused run: yields requests, is sent their answers, returns its value."""

SuspendableStep = tuple[Op, Callable[..., Any], tuple[Value, ...], tuple[Value, ...], bool]
"""``(op, rule, operands, results, pauses)``: ``rule`` is the op's ``steps_`` form when
``pauses``, else its ordinary rule."""


def complete(steps: Steps, serve: Callable[[Any], Any]) -> Any:
    """Drive ``steps`` to its end, answering each request it yields with ``serve(request)``."""
    try:
        request = next(steps)
        while True:
            request = steps.send(serve(request))
    except StopIteration as stop:
        return stop.value


class SuspendableInterpreter(Interpreter):
    """An ``Interpreter`` whose runs can pause at routable calls (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        pauses: dict[Op, bool] = {}
        for op in reversed(list(self.module.entry.walk())):  # inner ops first
            pauses[op] = self._pausing_rule(op) is not None and (
                isinstance(op, CallOp) or any(pauses[o] for r in op.regions for o in r.ops)
            )
        self._pauses: Mapping[Op, bool] = MappingProxyType(pauses)
        self._suspendable: Mapping[Region, tuple[SuspendableStep, ...]] = MappingProxyType(
            {region: self._resolve_pausing(region) for region in _regions(self.module.entry)}
        )

    # ------------------------------------------------------------ running

    def run_function_steps(self, func: Op, args: Sequence[Any], run: RunState) -> Steps:
        """``run_function`` as a generator that pauses where ``call_routable_steps`` yields."""
        try:
            yield from self.run_region_steps(func.regions[0], args, run)
        except _Return as exit_:
            return exit_.value
        raise self.error(func, "the function ended without returning")

    def run_region_steps(self, region: Region, args: Sequence[Any], run: RunState) -> Steps:
        """``run_region`` as a generator: the ops that contain routable calls may pause."""
        steps = self._suspendable.get(region)
        if steps is None or not any(step[4] for step in steps):
            return self.run_region(region, args, run)
        env = run.env
        for arg, value in zip(region.args, args, strict=True):
            env[arg] = value
        yielded: Any = []
        for op, rule, operands, results, pauses in steps:
            values = [env[v] for v in operands]
            try:
                yielded = (yield from rule(op, values, run)) if pauses else rule(op, values, run)
            except (_Exit, ProgramError):
                raise
            except Exception as exc:
                raise self.error(op, f"{type(exc).__name__}: {exc}") from exc
            bind_results(env, results, yielded)
        return list(yielded)

    def yield_one_steps(self, region: Region, args: Sequence[Any], run: RunState) -> Steps:
        """``yield_one`` as a generator."""
        return (yield from self.run_region_steps(region, args, run))[0]

    def call_routable_steps(self, op: CallOp, args: list[Any], run: RunState) -> Steps:
        """Serve one execution of ``op``, pausing as the subclass needs; by default it is
        ``call_routable`` and never pauses."""
        return self.call_routable(op, args, run)
        yield  # a generator that never pauses

    # ------------------------------------------------------------ set-up

    def _pausing_rule(self, op: Op) -> Callable[..., Any] | None:
        """The op's ``steps_`` form, unless a subclass overrode its ``visit_`` method below the
        class giving that form."""
        cls = type(self)
        for klass in type(op).__mro__:
            visit_owner = _owner(cls, f"visit_{klass.__name__}")
            steps_owner = _owner(cls, f"steps_{klass.__name__}")
            if steps_owner is not None and (
                visit_owner is None or issubclass(steps_owner, visit_owner)
            ):
                return getattr(self, f"steps_{klass.__name__}")  # type: ignore[no-any-return]
            if visit_owner is not None:
                return None
        return None

    def _resolve_pausing(self, region: Region) -> tuple[SuspendableStep, ...]:
        steps = []
        for op, rule, operands, results in self.steps(region):
            pausing = self._pausing_rule(op) if self._pauses.get(op) else None
            chosen = rule if pausing is None else pausing
            steps.append((op, chosen, operands, results, pausing is not None))
        return tuple(steps)

    # ------------------------------------------------------------ the ops that may pause

    def steps_CallOp(self, op: CallOp, args: list[Any], run: RunState) -> Steps:
        """``visit_CallOp``, pausing in ``call_routable_steps``."""
        run.calls[op.site] += 1
        try:
            value = yield from self.call_routable_steps(op, args, run)
        except ProgramError:
            raise
        except Exception as exc:
            raise self.backend_error(op, f"the backend raised {type(exc).__name__}: {exc}") from exc
        return self.checked(op, value, op.result.type)

    def steps_IfOp(self, op: IfOp, args: list[Any], run: RunState) -> Steps:
        region = op.regions[0] if args[0] else op.regions[1]
        return self.pack(op, (yield from self.run_region_steps(region, [], run)))

    def steps_AndOp(self, op: AndOp, args: list[Any], run: RunState) -> Steps:
        value = None
        for region in op.regions:
            value = yield from self.yield_one_steps(region, [], run)
            if not value:
                return value
        return value

    def steps_OrOp(self, op: OrOp, args: list[Any], run: RunState) -> Steps:
        value = None
        for region in op.regions:
            value = yield from self.yield_one_steps(region, [], run)
            if value:
                return value
        return value

    def steps_ForOp(self, op: ForOp, args: list[Any], run: RunState) -> Steps:
        body = op.regions[0]
        carried = list(args[1:])
        for index, item in enumerate(args[0]):
            try:
                carried = yield from self.run_region_steps(body, [index, item, *carried], run)
            except _Continue as jump:
                carried = jump.values
            except _Break as jump:
                carried = jump.values
                break
        return self.pack(op, carried)

    def steps_MapOp(self, op: MapOp, args: list[Any], run: RunState) -> Steps:
        body = op.regions[0]
        out = []
        for i, item in enumerate(args[0]):
            out.append((yield from self.yield_one_steps(body, [i, item], run)))
        return out

    def steps_FilterOp(self, op: FilterOp, args: list[Any], run: RunState) -> Steps:
        body = op.regions[0]
        out = []
        for i, item in enumerate(args[0]):
            if (yield from self.yield_one_steps(body, [i, item], run)):
                out.append(item)
        return out

    def steps_AnyOp(self, op: AnyOp, args: list[Any], run: RunState) -> Steps:
        body = op.regions[0]
        for i, item in enumerate(args[0]):
            if (yield from self.yield_one_steps(body, [i, item], run)):
                return True
        return False

    def steps_AllOp(self, op: AllOp, args: list[Any], run: RunState) -> Steps:
        body = op.regions[0]
        for i, item in enumerate(args[0]):
            if not (yield from self.yield_one_steps(body, [i, item], run)):
                return False
        return True

    def steps_SortOp(self, op: SortOp, args: list[Any], run: RunState) -> Steps:
        # sorted() computes every key first, in order, then sorts stably by them.
        items = list(args[0])
        keys = yield from self._keys(op, items, run)
        order = sorted(
            range(len(items)), key=keys.__getitem__, reverse=bool(op.attributes["reverse"])
        )
        return [items[i] for i in order]

    def steps_MinOp(self, op: MinOp, args: list[Any], run: RunState) -> Steps:
        if not args[0]:
            raise ValueError("min() of an empty list")
        return (yield from self._extreme(op, args[0], run, lambda key, best: key < best))

    def steps_MaxOp(self, op: MaxOp, args: list[Any], run: RunState) -> Steps:
        if not args[0]:
            raise ValueError("max() of an empty list")
        return (yield from self._extreme(op, args[0], run, lambda key, best: key > best))

    def _keys(self, op: Op, items: list[Any], run: RunState) -> Steps:
        region = op.regions[0]
        keys = []
        for item in items:
            keys.append((yield from self.yield_one_steps(region, [item], run)))
        return keys

    def _extreme(
        self, op: Op, items: list[Any], run: RunState, better: Callable[[Any, Any], Any]
    ) -> Steps:
        # min()/max() keep the first item whose key beats the best key so far.
        region = op.regions[0]
        best, best_key = None, None
        for position, item in enumerate(items):
            key = yield from self.yield_one_steps(region, [item], run)
            if position == 0 or better(key, best_key):
                best, best_key = item, key
        return best


def _owner(cls: type, name: str) -> type | None:
    """The class in ``cls``'s MRO that defines ``name``, or ``None``."""
    return next((klass for klass in cls.__mro__ if name in vars(klass)), None)
