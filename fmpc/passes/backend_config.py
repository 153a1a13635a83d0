"""Which backends may serve each generic function: from a pass option or the module.

A pass option ``backends={find=[det-s,det-l],exists=[cls-s,cls-l]}`` wins; otherwise the module
attributes ``backends.<function> = ["det-s", "det-l"]`` are used (``fmpc opt`` keeps them in the
text form, so a configured module can be optimized again). Lists go cheapest first.
"""

from __future__ import annotations

from collections.abc import Mapping

from fmpc.ir.core import Module

ATTRIBUTE_PREFIX = "backends."
"""Module attributes ``backends.<function>`` list the backends of ``<function>``."""


def backend_config(
    module: Module, given: Mapping[str, tuple[str, ...]]
) -> dict[str, tuple[str, ...]]:
    """The backends of each function: ``given`` if not empty, else the module's attributes."""
    if given:
        return {fn: tuple(names) for fn, names in given.items()}
    found = {}
    for key, value in module.attributes.items():
        if key.startswith(ATTRIBUTE_PREFIX) and isinstance(value, tuple):
            found[key[len(ATTRIBUTE_PREFIX) :]] = tuple(str(v) for v in value)
    return found


def by_cost(names: tuple[str, ...], costs: Mapping[str, float]) -> tuple[str, ...]:
    """``names`` cheapest first when every cost is known; else as given."""
    if all(n in costs for n in names):
        return tuple(sorted(names, key=lambda n: costs[n]))
    return names
