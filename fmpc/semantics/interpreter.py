"""The reference interpreter: the definition of what a program means.

``Interpreter`` walks a verified module op by op with Python's semantics. Like torch.fx's
``Interpreter``, it has one method per op class, ``visit_<OpClassName>(op, args, run)``, where
``args`` are the op's operand values and ``run`` the state of the current run; the method returns
the op's result (the value itself for a one-result op, a tuple of values for ``fmpc.if`` /
``fmpc.for`` with another number of results). A subclass overrides any of them; a user op class
without its own method uses the method of its nearest base class that has one.

Routable calls go through ``call_routable``, which by default calls ``backends[fn](*args)``;
deterministic helpers (``fmpc.lib``) go through ``helpers`` (default: ``HELPERS``). Regions run
lazily; ``fmpc.return`` / ``fmpc.break`` / ``fmpc.continue`` leave nested regions by raising small
private signals that the function or the innermost ``fmpc.for`` catches. The interpreter keeps no
state between runs: everything a run needs lives in its ``RunState``, so one interpreter may run
many inputs at once from several threads.
"""

from __future__ import annotations

import operator
import reprlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from fmpc.ir.core import Module, Op, Region, Value
from fmpc.ir.fstring import render
from fmpc.ir.ops import (
    AbsOp,
    AddOp,
    AllOp,
    AndOp,
    AnyOp,
    AppendOp,
    BreakOp,
    CallOp,
    CastOp,
    CmpOp,
    ConstOp,
    ContinueOp,
    EndsWithOp,
    FilterOp,
    FloorDivOp,
    FormatOp,
    ForOp,
    FuncOp,
    IfOp,
    IndexOp,
    JoinOp,
    LenOp,
    LibOp,
    LowerOp,
    MakeListOp,
    MapOp,
    MaxOp,
    MinOp,
    ModOp,
    MulOp,
    NegOp,
    NotOp,
    OrOp,
    ReturnOp,
    RoundOp,
    SliceOp,
    SortOp,
    SplitOp,
    StartsWithOp,
    StripOp,
    SubOp,
    SumOp,
    TrueDivOp,
    UpperOp,
    YieldOp,
)
from fmpc.ir.ops_batch import BatchCallOp
from fmpc.ir.types import (
    Bool,
    Float,
    Image,
    Int,
    ListType,
    NoneT,
    OptionalType,
    Patch,
    Str,
    Type,
)
from fmpc.ir.verifier import verify
from fmpc.semantics.errors import BackendError, ProgramError
from fmpc.semantics.helpers import HELPERS
from fmpc.semantics.values import ImageValue, PatchValue

Rule = Callable[[Any, list[Any], "RunState"], Any]
"""A per-op method: ``(op, operand values, run state) -> result``."""

_COMPARISONS: Mapping[str, Callable[[Any, Any], Any]] = MappingProxyType(
    {
        "eq": operator.eq,
        "ne": operator.ne,
        "lt": operator.lt,
        "le": operator.le,
        "gt": operator.gt,
        "ge": operator.ge,
        "in": lambda item, container: item in container,
        "not_in": lambda item, container: item not in container,
        "is": operator.is_,
        "is_not": operator.is_not,
    }
)

_CASTS: Mapping[Type, Callable[[Any], Any]] = MappingProxyType(
    {Int: int, Float: float, Str: str, Bool: bool}
)

_PYTHON_NAMES: Mapping[Type, str] = MappingProxyType(
    {
        Bool: "a bool",
        Int: "an int",
        Float: "a float",
        Str: "a str",
        NoneT: "None",
        Patch: "a PatchValue",
        Image: "an ImageValue",
    }
)

_RUNTIME_CLASSES: Mapping[Type, type] = MappingProxyType(
    {Bool: bool, Float: float, Str: str, Patch: PatchValue, Image: ImageValue}
)


Step = tuple[Op, Rule, tuple[Value, ...], tuple[Value, ...]]
"""One op of a region as the interpreter runs it: ``(op, rule, operands, results)``."""


def _regions(func: Op) -> list[Region]:
    """Every region of ``func``, nested ones included."""
    return [region for op in func.walk() for region in op.regions]


def bind_results(env: dict[Value, Any], results: tuple[Value, ...], value: Any) -> None:
    """Bind an op's ``value`` to its ``results`` in ``env``: the value itself for one result,
    one item each for several, nothing for none."""
    if len(results) == 1:
        env[results[0]] = value
    elif results:
        for result, item in zip(results, value, strict=True):
            env[result] = item


class RunState:
    """The state of one run: the input, the value of every SSA value computed so far, and how
    many times each routable call site ran. Subclasses of ``Interpreter`` may extend it (see
    ``Interpreter.new_run``)."""

    def __init__(self, image: Any) -> None:
        self.image = image
        self.env: dict[Value, Any] = {}
        self.calls: Counter[int] = Counter()


@dataclass(frozen=True)
class RunResult:
    """What one run produced: the program's ``answer`` and ``calls``, the number of times each
    routable call site (by site id) was executed; sites that never ran are absent."""

    answer: Any
    calls: Mapping[int, int]

    @property
    def total_calls(self) -> int:
        """Routable calls executed in all."""
        return sum(self.calls.values())


class _Exit(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Leaving a region other than by ``fmpc.yield``."""


class _Return(_Exit):
    def __init__(self, value: Any) -> None:
        self.value = value


class _Break(_Exit):
    def __init__(self, values: list[Any]) -> None:
        self.values = values


class _Continue(_Exit):
    def __init__(self, values: list[Any]) -> None:
        self.values = values


class Interpreter:
    """Runs a verified module's ``execute_command`` on one input with Python's semantics.

    ``backends`` maps a routable function name (``find``, ``exists``, ...) to a callable taking
    the call's argument values; ``helpers`` maps the non-routable library names to their
    implementations. With ``check_results``, a backend's (or helper's) return value must fit the
    call's result type (``List[Patch]``: a list of ``PatchValue``; ``Int``: an int, not a bool;
    ``Float``: a float), else a ``BackendError`` says what was expected. The module must not be
    changed while an interpreter uses it.
    """

    def __init__(
        self,
        module: Module,
        backends: Mapping[str, Callable[..., Any]] = MappingProxyType({}),
        helpers: Mapping[str, Callable[..., Any]] = HELPERS,
        *,
        check_results: bool = True,
        verify_module: bool = True,
    ) -> None:
        if verify_module:
            verify(module)
        self.module = module
        self.backends: Mapping[str, Callable[..., Any]] = MappingProxyType(dict(backends))
        self.helpers: Mapping[str, Callable[..., Any]] = MappingProxyType(dict(helpers))
        self.check_results = check_results
        self.rules: Mapping[type[Op], Rule] = MappingProxyType(self._build_rules())
        self._generic = type(self).execute is not Interpreter.execute
        self._steps: Mapping[Region, tuple[Step, ...]] = MappingProxyType(
            {region: self._resolve(region) for region in _regions(module.entry)}
        )
        self._check_helpers()

    # ------------------------------------------------------------ running

    def run(self, image: ImageValue) -> Any:
        """The program's answer on ``image``; raises ``ProgramError`` if the program fails."""
        return self.run_with_stats(image).answer

    def run_with_stats(self, image: ImageValue) -> RunResult:
        """The answer on ``image`` with the number of routable calls executed per site."""
        run = self.new_run(image)
        answer = self.run_function(self.module.entry, [image], run)
        return RunResult(answer, dict(run.calls))

    def new_run(self, image: ImageValue) -> RunState:
        """The state of a fresh run; a subclass returns its own ``RunState`` subclass."""
        return RunState(image)

    def run_function(self, func: Op, args: Sequence[Any], run: RunState) -> Any:
        """Run ``func``'s body on ``args`` and return the value it returns."""
        try:
            self.run_region(func.regions[0], args, run)
        except _Return as exit_:
            return exit_.value
        raise self.error(func, "the function ended without returning")

    def run_region(self, region: Region, args: Sequence[Any], run: RunState) -> list[Any]:
        """Bind ``args`` to the region's arguments, run its ops and return what it yields.

        Leaving by return/break/continue raises the matching signal instead. Each op runs as
        ``execute`` would run it, from the region's steps resolved once (``steps``).
        """
        env = run.env
        for arg, value in zip(region.args, args, strict=True):
            env[arg] = value
        if self._generic:
            yielded: Any = []
            for op in region.ops:
                yielded = self.execute(op, run)
            return list(yielded)
        yielded = []
        for op, rule, operands, results in self.steps(region):
            try:
                yielded = rule(op, [env[v] for v in operands], run)
            except (_Exit, ProgramError):
                raise
            except Exception as exc:
                raise self.error(op, f"{type(exc).__name__}: {exc}") from exc
            bind_results(env, results, yielded)
        return list(yielded)

    def steps(self, region: Region) -> tuple[Step, ...]:
        """The region's ops with their rules, operands and results, resolved once per region of
        the module (other regions are resolved on each call)."""
        found = self._steps.get(region)
        return found if found is not None else self._resolve(region)

    def execute(self, op: Op, run: RunState) -> Any:
        """Run one op: evaluate its rule on its operand values and bind its results.

        Any exception other than a control-flow signal or a ``ProgramError`` becomes a
        ``ProgramError`` located at ``op``.
        """
        args = [run.env[v] for v in op.operands]
        rule = self.rules.get(type(op)) or self._rule_for(type(op))
        try:
            out = rule(op, args, run)
        except (_Exit, ProgramError):
            raise
        except Exception as exc:
            raise self.error(op, f"{type(exc).__name__}: {exc}") from exc
        bind_results(run.env, tuple(op.results), out)
        return out

    def error(self, op: Op, reason: str) -> ProgramError:
        """A ``ProgramError`` at ``op`` quoting the module's source line when it has one."""
        return ProgramError(reason, op, self.module.source)

    def backend_error(self, op: CallOp, reason: str) -> BackendError:
        """A ``BackendError`` at the routable call ``op``."""
        return BackendError(reason, op, op.fn, op.site, self.module.source)

    # ------------------------------------------------------------ set-up

    def _build_rules(self) -> dict[type[Op], Rule]:
        rules: dict[type[Op], Rule] = {}
        for op in self.module.entry.regions[0].walk():
            if type(op) not in rules:
                rules[type(op)] = self._rule_for(type(op))
        return rules

    def _resolve(self, region: Region) -> tuple[Step, ...]:
        return tuple(
            (
                op,
                self.rules.get(type(op)) or self._rule_for(type(op)),
                tuple(op.operands),
                tuple(op.results),
            )
            for op in region.ops
        )

    def _rule_for(self, cls: type[Op]) -> Rule:
        for klass in cls.__mro__:
            method = getattr(self, f"visit_{klass.__name__}", None)
            if method is not None:
                return method  # type: ignore[no-any-return]
        raise NotImplementedError(
            f"{type(self).__name__} has no rule for op '{cls.name}'; define visit_{cls.__name__}"
        )

    def _check_helpers(self) -> None:
        entry = self.module.entry.regions[0]
        missing = sorted(
            {op.fn for op in entry.walk() if isinstance(op, LibOp) and op.fn not in self.helpers}
        )
        if missing:
            raise ValueError(
                f"no implementation of library helper(s) {', '.join(missing)}; "
                "pass helpers={**HELPERS, name: function, ...}"
            )

    @staticmethod
    def pack(op: Op, values: Sequence[Any]) -> Any:
        """The result of a multi-result op from its values: the value itself if it has one."""
        return values[0] if len(op.results) == 1 else tuple(values)

    def yield_one(self, region: Region, args: Sequence[Any], run: RunState) -> Any:
        """Run a region that yields exactly one value and return it."""
        return self.run_region(region, args, run)[0]

    def key_function(self, op: Op, run: RunState) -> Callable[[Any], Any] | None:
        """The key of ``fmpc.sort`` / ``fmpc.min`` / ``fmpc.max`` (``None`` without a region)."""
        if not op.regions:
            return None
        region = op.regions[0]
        return lambda item: self.yield_one(region, [item], run)

    # ------------------------------------------------------------ terminators

    def visit_YieldOp(self, op: YieldOp, args: list[Any], run: RunState) -> list[Any]:
        """The yielded values, handed to the op that owns the region."""
        return list(args)

    def visit_ReturnOp(self, op: ReturnOp, args: list[Any], run: RunState) -> Any:
        """Leave the function with the operand's value."""
        raise _Return(args[0])

    def visit_BreakOp(self, op: BreakOp, args: list[Any], run: RunState) -> Any:
        """Leave the innermost ``fmpc.for`` with these carried values."""
        raise _Break(list(args))

    def visit_ContinueOp(self, op: ContinueOp, args: list[Any], run: RunState) -> Any:
        """Start the innermost ``fmpc.for``'s next iteration with these carried values."""
        raise _Continue(list(args))

    def visit_FuncOp(self, op: FuncOp, args: list[Any], run: RunState) -> Any:
        """Functions only appear at module level; never executed as an op."""
        raise self.error(op, "functions cannot be nested")

    # ------------------------------------------------------------ constants and arithmetic

    def visit_ConstOp(self, op: ConstOp, args: list[Any], run: RunState) -> Any:
        return op.attributes["value"]

    def visit_AddOp(self, op: AddOp, args: list[Any], run: RunState) -> Any:
        return args[0] + args[1]

    def visit_SubOp(self, op: SubOp, args: list[Any], run: RunState) -> Any:
        return args[0] - args[1]

    def visit_MulOp(self, op: MulOp, args: list[Any], run: RunState) -> Any:
        return args[0] * args[1]

    def visit_TrueDivOp(self, op: TrueDivOp, args: list[Any], run: RunState) -> Any:
        return args[0] / args[1]

    def visit_FloorDivOp(self, op: FloorDivOp, args: list[Any], run: RunState) -> Any:
        return args[0] // args[1]

    def visit_ModOp(self, op: ModOp, args: list[Any], run: RunState) -> Any:
        return args[0] % args[1]

    def visit_NegOp(self, op: NegOp, args: list[Any], run: RunState) -> Any:
        return -args[0]

    def visit_AbsOp(self, op: AbsOp, args: list[Any], run: RunState) -> Any:
        return abs(args[0])

    def visit_RoundOp(self, op: RoundOp, args: list[Any], run: RunState) -> Any:
        return round(*args)

    def visit_CmpOp(self, op: CmpOp, args: list[Any], run: RunState) -> Any:
        """``pred`` applied as Python's operator (``in``/``not_in`` test membership)."""
        return _COMPARISONS[str(op.attributes["pred"])](args[0], args[1])

    def visit_NotOp(self, op: NotOp, args: list[Any], run: RunState) -> Any:
        return not args[0]

    def visit_CastOp(self, op: CastOp, args: list[Any], run: RunState) -> Any:
        """``int``/``float``/``str``/``bool`` of the value, named by the result type; into an
        ``Optional`` the value as it is; out of one the value, which must not be ``None``."""
        target, value = op.result.type, args[0]
        if isinstance(target, OptionalType):
            return value
        if isinstance(op.operands[0].type, OptionalType) and target == op.operands[0].type.inner:
            if value is None:
                raise ValueError(f"the value is None, expected {expected(target)}")
            return value
        return _CASTS[target](value)

    # ------------------------------------------------------------ control flow

    def visit_IfOp(self, op: IfOp, args: list[Any], run: RunState) -> Any:
        """Run the ``then`` region if the condition is truthy, else the ``else`` region."""
        region = op.regions[0] if args[0] else op.regions[1]
        return self.pack(op, self.run_region(region, [], run))

    def visit_AndOp(self, op: AndOp, args: list[Any], run: RunState) -> Any:
        """Run operand regions left to right; the first falsy value, else the last value."""
        value = None
        for region in op.regions:
            value = self.yield_one(region, [], run)
            if not value:
                return value
        return value

    def visit_OrOp(self, op: OrOp, args: list[Any], run: RunState) -> Any:
        """Run operand regions left to right; the first truthy value, else the last value."""
        value = None
        for region in op.regions:
            value = self.yield_one(region, [], run)
            if value:
                return value
        return value

    def visit_ForOp(self, op: ForOp, args: list[Any], run: RunState) -> Any:
        """Run the body per item on ``(index, item, carried...)``; results: the carried values."""
        body = op.regions[0]
        carried = list(args[1:])
        for index, item in enumerate(args[0]):
            try:
                carried = self.run_region(body, [index, item, *carried], run)
            except _Continue as jump:
                carried = jump.values
            except _Break as jump:
                carried = jump.values
                break
        return self.pack(op, carried)

    def visit_MapOp(self, op: MapOp, args: list[Any], run: RunState) -> Any:
        """``[body(i, x) for i, x in enumerate(xs)]``."""
        body = op.regions[0]
        return [self.yield_one(body, [i, item], run) for i, item in enumerate(args[0])]

    def visit_FilterOp(self, op: FilterOp, args: list[Any], run: RunState) -> Any:
        """``[x for i, x in enumerate(xs) if body(i, x)]``."""
        body = op.regions[0]
        return [item for i, item in enumerate(args[0]) if self.yield_one(body, [i, item], run)]

    def visit_AnyOp(self, op: AnyOp, args: list[Any], run: RunState) -> Any:
        """``any(...)``: stops at the first truthy value."""
        body = op.regions[0]
        return any(self.yield_one(body, [i, item], run) for i, item in enumerate(args[0]))

    def visit_AllOp(self, op: AllOp, args: list[Any], run: RunState) -> Any:
        """``all(...)``: stops at the first falsy value."""
        body = op.regions[0]
        return all(self.yield_one(body, [i, item], run) for i, item in enumerate(args[0]))

    def visit_SortOp(self, op: SortOp, args: list[Any], run: RunState) -> Any:
        """``sorted(xs, key=..., reverse=...)`` (stable, as Python's)."""
        reverse = bool(op.attributes["reverse"])
        return sorted(args[0], key=self.key_function(op, run), reverse=reverse)

    def visit_MinOp(self, op: MinOp, args: list[Any], run: RunState) -> Any:
        """``min(xs, key=...)``: the first smallest; an empty list fails."""
        if not args[0]:
            raise ValueError("min() of an empty list")
        return min(args[0], key=self.key_function(op, run))

    def visit_MaxOp(self, op: MaxOp, args: list[Any], run: RunState) -> Any:
        """``max(xs, key=...)``: the first largest; an empty list fails."""
        if not args[0]:
            raise ValueError("max() of an empty list")
        return max(args[0], key=self.key_function(op, run))

    # ------------------------------------------------------------ lists and strings

    def visit_SumOp(self, op: SumOp, args: list[Any], run: RunState) -> Any:
        # A Float sum is a float even over an empty list (Python's sum would give int 0).
        return sum(args[0], 0.0 if op.result.type == Float else 0)

    def visit_LenOp(self, op: LenOp, args: list[Any], run: RunState) -> Any:
        return len(args[0])

    def visit_IndexOp(self, op: IndexOp, args: list[Any], run: RunState) -> Any:
        """``xs[i]`` with negative indices; out of range fails with the length."""
        sequence, index = args
        if not -len(sequence) <= index < len(sequence):
            kind = "string" if isinstance(sequence, str) else "list"
            raise IndexError(
                f"index {index} is out of range for a {kind} of length {len(sequence)}"
            )
        return sequence[index]

    def visit_SliceOp(self, op: SliceOp, args: list[Any], run: RunState) -> Any:
        sequence, start, stop = args
        return sequence[start:stop]

    def visit_MakeListOp(self, op: MakeListOp, args: list[Any], run: RunState) -> Any:
        return list(args)

    def visit_AppendOp(self, op: AppendOp, args: list[Any], run: RunState) -> Any:
        """A new list: the operand list with the item appended (lists are values)."""
        return [*args[0], args[1]]

    def visit_LowerOp(self, op: LowerOp, args: list[Any], run: RunState) -> Any:
        return args[0].lower()

    def visit_UpperOp(self, op: UpperOp, args: list[Any], run: RunState) -> Any:
        return args[0].upper()

    def visit_StripOp(self, op: StripOp, args: list[Any], run: RunState) -> Any:
        return args[0].strip()

    def visit_SplitOp(self, op: SplitOp, args: list[Any], run: RunState) -> Any:
        return args[0].split(*args[1:])

    def visit_JoinOp(self, op: JoinOp, args: list[Any], run: RunState) -> Any:
        return args[0].join(args[1])

    def visit_StartsWithOp(self, op: StartsWithOp, args: list[Any], run: RunState) -> Any:
        return args[0].startswith(args[1])

    def visit_EndsWithOp(self, op: EndsWithOp, args: list[Any], run: RunState) -> Any:
        return args[0].endswith(args[1])

    def visit_FormatOp(self, op: FormatOp, args: list[Any], run: RunState) -> Any:
        """Fill the f-string template (``fmpc.ir.fstring.render``)."""
        return render(str(op.attributes["template"]), args)

    # ------------------------------------------------------------ library calls

    def visit_CallOp(self, op: CallOp, args: list[Any], run: RunState) -> Any:
        """Count the site, serve the call through ``call_routable`` and check the result."""
        return self.serve(op, args, run, op.result.type)

    def visit_BatchCallOp(self, op: BatchCallOp, args: list[Any], run: RunState) -> Any:
        """One execution of the site per item of the batched lists (see ``fmpc.call.batch``)."""
        lengths = {len(args[i]) for i in op.batched}
        if len(lengths) > 1:
            raise self.error(op, f"batched lists have different lengths {sorted(lengths)}")
        element = op.result.type.element  # type: ignore[attr-defined]
        items = range(lengths.pop() if lengths else 0)
        return [
            self.serve(
                op, [a[k] if i in op.batched else a for i, a in enumerate(args)], run, element
            )
            for k in items
        ]

    def serve(self, op: CallOp, args: list[Any], run: RunState, result_type: Type) -> Any:
        """One execution of site ``op``: counted, served by ``call_routable``, its failures and a
        value not of ``result_type`` turned into ``BackendError``s."""
        run.calls[op.site] += 1
        try:
            value = self.call_routable(op, args, run)
        except ProgramError:
            raise
        except Exception as exc:
            raise self.backend_error(op, f"the backend raised {type(exc).__name__}: {exc}") from exc
        return self.checked(op, value, result_type)

    def checked(self, op: CallOp, value: Any, result_type: Type) -> Any:
        """``value``, or a ``BackendError`` at ``op`` if it is not of ``result_type`` (with
        ``check_results``)."""
        if self.check_results and not fits(value, result_type):
            raise self.backend_error(
                op, f"the backend returned {_show(value)}, expected {expected(result_type)}"
            )
        return value

    def call_routable(self, op: CallOp, args: list[Any], run: RunState) -> Any:
        """Serve one execution of the routable call ``op``; override to route per site."""
        backend = self.backends.get(op.fn)
        if backend is None:
            known = ", ".join(sorted(self.backends)) or "none"
            raise self.backend_error(op, f"no backend for '{op.fn}' (backends given: {known})")
        return backend(*args)

    def visit_LibOp(self, op: LibOp, args: list[Any], run: RunState) -> Any:
        """Run the helper named ``fn`` and check its result."""
        value = self.helpers[op.fn](*args)
        if self.check_results and not fits(value, op.result.type):
            raise self.error(
                op, f"helper '{op.fn}' returned {_show(value)}, expected {expected(op.result.type)}"
            )
        return value


def fits(value: Any, t: Type) -> bool:
    """Whether the Python ``value`` is a run-time value of IR type ``t`` (types the runtime does
    not know are accepted). ``Int`` excludes ``bool``; ``Float`` wants a ``float``."""
    if isinstance(t, ListType):
        return isinstance(value, list) and all(fits(item, t.element) for item in value)
    if isinstance(t, OptionalType):
        return value is None or fits(value, t.inner)
    if t == Int:
        return isinstance(value, int) and not isinstance(value, bool)
    if t == NoneT:
        return value is None
    kind = _RUNTIME_CLASSES.get(t)
    return kind is None or isinstance(value, kind)


def expected(t: Type) -> str:
    """How the runtime spells the values of ``t``, e.g. ``List[Patch] (a list of PatchValue)``."""
    return f"{t} ({_python_spelling(t)})"


def _python_spelling(t: Type) -> str:
    if isinstance(t, OptionalType):
        return f"{_python_spelling(t.inner)} or None"
    if isinstance(t, ListType):
        element = _python_spelling(t.element).split(" ", 1)[-1]
        return f"a list of {element}"
    return _PYTHON_NAMES.get(t, str(t))


def _show(value: Any) -> str:
    return f"{type(value).__name__} {reprlib.repr(value)}"
