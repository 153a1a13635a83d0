"""The methods a benchmark compares, and how each one's policy is made.

A ``Method`` is either the monolithic model (no program: the whole image and the question go to
one large model) or a program run by the executor with a policy made from a registered policy
spec (``fmpc.policies.policy_from_spec``). ``default_methods(lams)`` is the paper's line-up:

====================  ==================================================================
``monolithic``        the monolithic model answers the question from the whole image
``all-smallest``      ``static:smallest``: every call site on its cheapest backend
``all-largest``       ``static:largest``: every call site on its most expensive backend
``per-query``         one backend size for the whole program, chosen per input (a router)
``cascade``           the cascade pass's cheapest-first escalation, calibrated, no learning
``defer(lam=L)``      fmpc's learned deferral: cheap first, re-check what is likely wrong
``defer+warm(...)``   the same from the shipped warm start (never trained on the query)
``neural-ts(lam=L)``  the paper's per-site policy (neural Thompson sampling), one per lambda
``adaptive-ts(...)``  the same, deciding each site when reached from what was computed so far
``budget(...)``       holds a target mean cost per input (a fraction of all-largest's)
``oracle``            hindsight: per input, the cheapest assignment that is right
====================  ==================================================================

A method whose policy is not registered (or cannot route the program) is **skipped** with the
reason, never replaced by another.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from types import MappingProxyType
from typing import Any

from fmpc.policies.base import PolicyError, UnknownPolicy, policy_from_spec
from fmpc.runtime.policy import Policy

MONOLITHIC = "monolithic"
ALL_SMALLEST = "all-smallest"
ALL_LARGEST = "all-largest"
ORACLE = "oracle"
"""The reference methods' names: savings are measured against these."""

DEFAULT_LAMS: tuple[float, ...] = (0.01, 0.05, 0.2)
"""The cost weights the neural Thompson sampling policies are swept over by default, around
their documented default of 0.05. Their costs are normalised per site (the largest backend
costs 1), so these are not the paper's 0.001-0.005, which weigh costs in millions of
parameters."""

DEFER_LAMS: tuple[float, ...] = (0.001, 0.01, 0.03, 0.1, 0.3)
"""The cost weights the deferral policy is swept over by default: the number of wrong answers
one all-largest pass is worth (``fmpc.policies.deferral``), from near all-largest quality to
the cheapest setting that still changed answers on both tasks. Chosen on streams of seed 1,
never the benchmark's (docs/benchmarks.md)."""

FAMILY_LAMS: Mapping[str, tuple[float, ...]] = MappingProxyType(
    {
        "defer": DEFER_LAMS,
        "defer+warm": DEFER_LAMS,
        "neural-ts": DEFAULT_LAMS,
        "adaptive-ts": DEFAULT_LAMS,
    }
)
"""Each learned family's default sweep (``defer+warm``: the deferral policy from the shipped
warm start, beside the cold one at the same cost weights)."""

BUDGET_FRACTION = 0.1
"""The budgeted policy's target mean cost per input, as a fraction of all-largest's measured
mean cost on the same stream."""

OPTIONAL_POLICY_MODULES: tuple[str, ...] = (
    "fmpc.policies.neural_ts",
    "fmpc.policies.baselines",
    "fmpc.policies.budget",
    "fmpc.policies.deferral",
)
"""Modules that register more policies when they are installed; missing ones are fine."""


class MethodUnavailable(Exception):
    """A method cannot run here; the message says why (reported as a skipped method)."""


@dataclass(frozen=True)
class Method:
    """One compared method: ``name`` as reported, ``family`` (lambda sweeps share one, for the
    plot's curves), the policy ``spec`` (``None`` for the monolithic model), extra policy
    ``options`` and, for the budgeted policy, its target as a fraction of all-largest's cost."""

    name: str
    family: str
    spec: str | None
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    budget_fraction: float | None = None

    @property
    def monolithic(self) -> bool:
        """Whether this is the monolithic model (no program, no policy)."""
        return self.spec is None

    @property
    def learned(self) -> bool:
        """Whether the method learns online (its lambda sweep is drawn as a curve)."""
        return "lam" in self.options or self.budget_fraction is not None


@dataclass(frozen=True)
class PolicyContext:
    """What a method's policy is made with on one stream: the ``seed``, all-largest's mean
    cost on that stream (the budgeted policy's target is a fraction of it) and the query."""

    seed: int
    all_largest_cost: float | None = None
    query: str | None = None
    """The benchmark query scored (a warm-started policy must not have trained on it)."""


def learned(family: str, lam: float) -> Method:
    """The learned policy ``family`` (``neural-ts``, ``adaptive-ts``) with cost weight ``lam``."""
    return Method(f"{family}(lam={lam:g})", family, family, MappingProxyType({"lam": lam}))


def warm_defer(lam: float) -> Method:
    """The deferral policy started from the shipped pretrained heads (leave-one-query-out)."""
    return Method(
        f"defer+warm(lam={lam:g})",
        "defer+warm",
        "defer:warm=builtin",
        MappingProxyType({"lam": lam}),
    )


def default_methods(
    lams: Sequence[float] | None = None, budget_fraction: float = BUDGET_FRACTION
) -> tuple[Method, ...]:
    """The line-up (see the module docstring): the references, the baselines, and each learned
    family at each of ``lams`` (``None``: each family's ``FAMILY_LAMS``)."""
    methods = [
        Method(MONOLITHIC, MONOLITHIC, None),
        Method(ALL_SMALLEST, "static", "static:smallest"),
        Method(ALL_LARGEST, "static", "static:largest"),
        Method("per-query", "per-query", "per-query"),
        Method("cascade", "cascade", "cascade"),
    ]
    for family in ("defer", "defer+warm", "neural-ts", "adaptive-ts"):
        make = warm_defer if family == "defer+warm" else partial(learned, family)
        methods += [make(lam) for lam in (lams or FAMILY_LAMS[family])]
    methods.append(
        Method(
            f"budget({budget_fraction:g}x all-largest)",
            "budget",
            "budget",
            budget_fraction=budget_fraction,
        )
    )
    methods.append(Method(ORACLE, ORACLE, ORACLE))
    return tuple(methods)


def select_methods(methods: Sequence[Method], wanted: Sequence[str]) -> tuple[Method, ...]:
    """The ``methods`` named in ``wanted`` (a method's name or its family, e.g. ``neural-ts``
    for every lambda), in their original order; ``ValueError`` naming unknown ones."""
    known = {m.name for m in methods} | {m.family for m in methods}
    unknown = [w for w in wanted if w not in known]
    if unknown:
        names = ", ".join(dict.fromkeys(m.family if m.learned else m.name for m in methods))
        raise ValueError(f"unknown method(s) {', '.join(unknown)}; known: {names}")
    return tuple(m for m in methods if m.name in wanted or m.family in wanted)


def demo_methods(lam: float, defer_lam: float = DEFER_LAMS[1]) -> tuple[Method, ...]:
    """The demo's short line-up: the references, the baselines, fmpc's deferral policy and
    the paper's per-site policy."""
    return (
        Method(MONOLITHIC, MONOLITHIC, None),
        Method(ALL_SMALLEST, "static", "static:smallest"),
        Method(ALL_LARGEST, "static", "static:largest"),
        Method("per-query", "per-query", "per-query"),
        Method("cascade", "cascade", "cascade"),
        learned("defer", defer_lam),
        learned("neural-ts", lam),
        Method(ORACLE, ORACLE, ORACLE),
    )


def load_optional_policies() -> tuple[str, ...]:
    """Import the policy modules of ``OPTIONAL_POLICY_MODULES`` that exist (registering their
    policies); the names of those that could not be imported."""
    missing = []
    for name in OPTIONAL_POLICY_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            missing.append(name)
    return tuple(missing)


def make_policy(method: Method, context: PolicyContext) -> Policy:
    """The policy of ``method`` for one stream; ``MethodUnavailable`` saying why it cannot be
    made (not registered, or its factory refuses the options)."""
    if method.spec is None:
        raise ValueError(f"{method.name} has no policy")
    options: dict[str, Any] = {"seed": context.seed, **method.options}
    if context.query is not None:
        options["benchmark_query"] = context.query
    if method.budget_fraction is not None:
        if context.all_largest_cost is None:
            raise MethodUnavailable("its target needs all-largest's cost, which was not measured")
        options["budget"] = method.budget_fraction * context.all_largest_cost
    try:
        return policy_from_spec(method.spec, **options)
    except UnknownPolicy:
        name = method.spec.partition(":")[0]
        raise MethodUnavailable(f"no policy {name!r} is registered") from None
    except PolicyError as exc:
        raise MethodUnavailable(str(exc)) from None
