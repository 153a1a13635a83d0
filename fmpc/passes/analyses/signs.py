"""Which way the program's answer moves with each call site's outputs: a sign per site.

An output is *higher* when it is more of a "yes": ``True`` over ``False``, ``"yes"`` over
``"no"``, a longer list, a larger number. A site's sign says what raising one of its outputs,
every other output fixed, can do to the answer (higher is again more of a "yes"):

* ``RISES`` (``"+"``): never lowers it (``exists(x)`` in ``return exists(x)``, the ``find`` of
  ``for p in find(x): if ...: return "yes"``);
* ``FALLS`` (``"-"``): never raises it (``not exists(x)``, the right side of ``len(a) > len(b)``);
* ``MIXED`` (``"+-"``): may do either, or the analysis cannot tell (``==`` of two outputs, a
  patch's content, arithmetic other than ``+`` and ``-``);
* ``NONE`` (``"0"``): the answer never depends on the site.

It is a backward reading of the data and control flow of the entry function, conservative:
every op without a rule below spreads ``MIXED``. Control flow counts too: the condition of an
``if`` whose taken branch returns ``"yes"`` (or whose other branch returns ``"no"``) rises, the
list of a ``for`` whose body can only return ``"yes"`` rises with its length. The deferral
policy's ``decisive`` re-check reads it (``fmpc.policies.deferral.recheck_plan``): after a "no"
only the doubtful calls whose correction could raise the answer can turn it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from fmpc.ir.core import Module, Op, Region, Value
from fmpc.ir.ops import (
    AddOp,
    AllOp,
    AndOp,
    AnyOp,
    BreakOp,
    CallOp,
    CastOp,
    CmpOp,
    ConstOp,
    ContinueOp,
    FilterOp,
    ForOp,
    IfOp,
    IndexOp,
    LenOp,
    LibOp,
    MapOp,
    NegOp,
    NotOp,
    OrOp,
    ReturnOp,
    SubOp,
    SumOp,
    YieldOp,
)
from fmpc.passes.analyses.manager import Analysis, AnalysisManager

RISES, FALLS, MIXED, NONE = "+", "-", "+-", "0"
"""The four signs (see the module docstring)."""

_UP, _DOWN = 1, 2  # bits of a sign: raising the site may raise / may lower the value
_BITS = {NONE: 0, RISES: _UP, FALLS: _DOWN, MIXED: _UP | _DOWN}
_NAMES = {bits: name for name, bits in _BITS.items()}

Deps = dict[int, int]
"""Site -> sign bits of one value."""

# What a region can end in: a "yes" / a "no" constant returned, another value returned, or
# falling through (a yield, break or continue).
_MAX, _MIN, _VAL, _FT = "max", "min", "val", "ft"

_ORDER_PREDICATES = {"gt": (_UP, _DOWN), "ge": (_UP, _DOWN), "lt": (_DOWN, _UP), "le": (_DOWN, _UP)}
_RISING_LIBS = frozenset({"bool_to_yesno"})


@dataclass(frozen=True)
class AnswerSigns(Analysis):
    """The sign of every call site of a module's entry function (see the module docstring)."""

    signs: Mapping[int, str]

    @classmethod
    def compute(cls, module: Module, analyses: AnalysisManager) -> AnswerSigns:
        return cls(answer_signs(module))

    def sign(self, site: int) -> str:
        """``site``'s sign; ``NONE`` for a site the answer does not depend on."""
        return self.signs.get(site, NONE)


def answer_signs(module: Module) -> Mapping[int, str]:
    """Each call site of ``module``'s entry function -> its sign."""
    reading = _Reading()
    entry = module.entry
    reading.region(entry.regions[0], [{} for _ in entry.regions[0].args])
    sites = [op.site for op in entry.walk() if isinstance(op, CallOp)]
    return MappingProxyType({s: _NAMES[reading.answer.get(s, 0)] for s in sites})


def constant_level(value: object) -> str | None:
    """``"max"`` for a yes-like constant (``True``, ``"yes"``), ``"min"`` for a no-like one
    (``False``, ``"no"``), else ``None``."""
    if isinstance(value, bool):
        return _MAX if value else _MIN
    if isinstance(value, str) and value.strip().lower() in ("yes", "no"):
        return _MAX if value.strip().lower() == "yes" else _MIN
    return None


def _join(*deps: Deps) -> Deps:
    out: Deps = {}
    for d in deps:
        for site, bits in d.items():
            out[site] = out.get(site, 0) | bits
    return out


def _scale(deps: Deps, bits: int) -> Deps:
    """``deps`` seen through an op whose result moves with its operand as ``bits`` says."""
    if bits == 0:
        return {}
    out: Deps = {}
    for site, b in deps.items():
        up = (b & _UP and bits & _UP) or (b & _DOWN and bits & _DOWN)
        down = (b & _UP and bits & _DOWN) or (b & _DOWN and bits & _UP)
        out[site] = (_UP if up else 0) | (_DOWN if down else 0)
    return out


def _mixed(*deps: Deps) -> Deps:
    return {site: _UP | _DOWN for d in deps for site in d}


def _at_least(a: str, b: str) -> bool:
    """Whether ending in ``a`` always gives an answer at least as high as ending in ``b``."""
    return a == _MAX or b == _MIN or a == b == _FT


def _order(higher: Iterable[str], lower: Iterable[str]) -> int:
    """The sign bits of a condition choosing between ending in ``higher`` (when true) and in
    ``lower``."""
    t, e = set(higher), set(lower)
    ge = all(_at_least(a, b) for a in t for b in e)
    le = all(_at_least(b, a) for a in t for b in e)
    if ge and le:
        return 0
    return _UP if ge else _DOWN if le else _UP | _DOWN


class _Reading:
    """One pass over the entry function: each value's dependence on the sites, and the
    answer's (``answer``)."""

    def __init__(self) -> None:
        self.deps: dict[Value, Deps] = {}
        self.answer: Deps = {}
        self.levels: dict[Value, str] = {}

    def of(self, value: Value) -> Deps:
        return self.deps.get(value, {})

    def region(self, region: Region, args: list[Deps]) -> set[str]:
        """Read ``region`` with ``args`` bound; how it can end."""
        for value, deps in zip(region.args, args, strict=True):
            self.deps[value] = deps
        ends: set[str] = set()
        for op in region.ops:
            if isinstance(op, ReturnOp):
                return ends | {self._returned(op)}
            if isinstance(op, YieldOp | BreakOp | ContinueOp):
                return ends | {_FT}
            inner = self.op(op)
            if inner is not None:
                ends |= inner - {_FT}
                if _FT not in inner:
                    return ends
        return ends | {_FT}

    def _returned(self, op: ReturnOp) -> str:
        if not op.operands:
            return _VAL
        value = op.operands[0]
        level = self.levels.get(value)
        if level is not None:
            return level
        self.answer = _join(self.answer, self.of(value))
        return _VAL

    def op(self, op: Op) -> set[str] | None:
        """Read one op (its results' dependences); how it can end when it holds regions that
        can leave the function (``if``, ``for``), else ``None``."""
        if isinstance(op, IfOp):
            return self._if(op)
        if isinstance(op, ForOp):
            return self._for(op)
        if isinstance(op, ConstOp):
            level = constant_level(op.attributes["value"])
            if level is not None:
                self.levels[op.result] = level
            return None
        self._value(op)
        return None

    def _if(self, op: IfOp) -> set[str]:
        cond = self.of(op.operands[0])
        then_ends = self.region(op.regions[0], [])
        else_ends = self.region(op.regions[1], [])
        self.answer = _join(self.answer, _scale(cond, _order(then_ends, else_ends)))
        yields = [_yielded(r) if _FT in ends else None
                  for r, ends in zip(op.regions, (then_ends, else_ends), strict=True)]  # fmt: skip
        for j, result in enumerate(op.results):
            given = [y[j] for y in yields if y is not None]
            deps = _join(*(self.of(v) for v in given))
            if len(given) == 2 and given[0] is not given[1]:
                levels = [self.levels.get(v, _VAL) for v in given]
                deps = _join(deps, _scale(cond, _order(levels[:1], levels[1:])))
            self.deps[result] = deps
        return then_ends | else_ends

    def _for(self, op: ForOp) -> set[str]:
        items = self.of(op.operands[0])
        carried = [self.of(v) for v in op.operands[1:]]
        body = op.regions[0]
        for _ in range(3):  # carried values reach a fixpoint in a few rounds
            ends = self.region(body, [_mixed(items), items, *carried])
            exits = [x for x in body.walk() if isinstance(x, YieldOp | BreakOp | ContinueOp)
                     and _loop_of(x) is op]  # fmt: skip
            guards = _guards(self, body, exits)
            grown = [_join(c, guards, *(self.of(x.operands[i]) for x in exits))
                     for i, c in enumerate(carried)]  # fmt: skip
            if grown == carried:
                break
            carried = grown
        leaving = ends - {_FT}
        self.answer = _join(self.answer, _scale(items, _order(leaving, {_FT}) if leaving else 0))
        for result, deps in zip(op.results, carried, strict=True):
            self.deps[result] = _join(deps, _mixed(items))
        return leaving | {_FT}

    def _value(self, op: Op) -> None:
        """An op without a region that leaves the function: its results' dependences."""
        operands = [self.of(v) for v in op.operands]
        yielded = [self._iteration(op, r, operands) for r in op.regions]
        deps = _value_rule(op, operands, yielded, self.levels)
        for result in op.results:
            self.deps[result] = deps

    def _iteration(self, op: Op, region: Region, operands: list[Deps]) -> Deps:
        """Read one operand region of ``op`` (an ``and`` operand, a filter's predicate, a key);
        the dependence of what it yields."""
        items = operands[0] if operands else {}
        args = {0: [], 1: [items], 2: [_mixed(items), items]}.get(len(region.args))
        self.region(region, args if args is not None else [_mixed(items)] * len(region.args))
        values = _yielded(region)
        return _join(*(self.of(v) for v in values or []))


def _value_rule(
    op: Op, operands: list[Deps], yielded: list[Deps], levels: dict[Value, str]
) -> Deps:
    """How a value op's result depends on its operands (``operands``) and on what its regions
    yield (``yielded``)."""
    if isinstance(op, CallOp):
        return _join({op.site: _UP}, _mixed(*operands))
    if isinstance(op, LenOp | SumOp | CastOp):
        return _join(*operands)
    if isinstance(op, LibOp):
        rising = op.attributes["fn"] in _RISING_LIBS
        return _join(*operands) if rising else _mixed(*operands)
    if isinstance(op, NotOp | NegOp):
        return _scale(operands[0], _DOWN)
    if isinstance(op, AddOp):
        return _join(*operands)
    if isinstance(op, SubOp):
        return _join(operands[0], _scale(operands[1], _DOWN))
    if isinstance(op, CmpOp):
        return _compare(op, operands, levels)
    if isinstance(op, IndexOp):
        return _join(operands[0], _mixed(*operands[1:]))
    if isinstance(op, AndOp | OrOp):
        return _join(*yielded)
    if isinstance(op, FilterOp | MapOp | AnyOp):
        return _join(operands[0], *yielded)
    if isinstance(op, AllOp):
        return _join(_mixed(operands[0]), *yielded)
    return _mixed(*operands, *yielded)


def _compare(op: CmpOp, operands: list[Deps], levels: dict[Value, str]) -> Deps:
    pred = op.attributes["pred"]
    if pred in _ORDER_PREDICATES:
        left, right = _ORDER_PREDICATES[str(pred)]
        return _join(_scale(operands[0], left), _scale(operands[1], right))
    if pred in ("eq", "ne"):
        for mine, other in ((0, 1), (1, 0)):
            level = levels.get(op.operands[other])
            if level is not None:
                rising = (level == _MAX) == (pred == "eq")
                return _scale(operands[mine], _UP if rising else _DOWN)
    return _mixed(*operands)


def _guards(reading: _Reading, body: Region, exits: Sequence[Op]) -> Deps:
    """When a loop body can leave early (``break`` / ``continue``), every condition in it may
    choose what the loop carries on with: their dependences, ``MIXED``."""
    if not any(isinstance(x, BreakOp | ContinueOp) for x in exits):
        return {}
    return _mixed(*(reading.of(x.operands[0]) for x in body.walk() if isinstance(x, IfOp)))


def _yielded(region: Region) -> list[Value] | None:
    last = region.terminator
    return list(last.operands) if isinstance(last, YieldOp) else None


def _loop_of(op: Op) -> Op | None:
    """The ``for`` a yield, break or continue belongs to (``None`` for another region's)."""
    parent = op.parent_op()
    if isinstance(op, YieldOp):
        return parent if isinstance(parent, ForOp) else None
    while parent is not None and not isinstance(parent, ForOp):
        parent = parent.parent_op()
    return parent


__all__ = ["FALLS", "MIXED", "NONE", "RISES", "AnswerSigns", "answer_signs", "constant_level"]
