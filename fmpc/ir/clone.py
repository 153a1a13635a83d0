"""Deep copies of modules and ops with fresh SSA values."""

from __future__ import annotations

from fmpc.ir.core import Module, Op, Region, Value


def clone_op(op: Op, mapping: dict[Value, Value]) -> Op:
    """Copy ``op`` (and its regions), renaming operands through ``mapping``; records new results.

    Operands not in ``mapping`` (defined outside the copied subtree) are kept as they are.
    """
    new = type(op).__new__(type(op))
    Op.__init__(
        new,
        [mapping.get(v, v) for v in op.operands],
        [r.type for r in op.results],
        dict(op.attributes),
        [],
        op.loc,
    )
    for old, fresh in zip(op.results, new.results, strict=True):
        fresh.name_hint = old.name_hint
        mapping[old] = fresh
    for region in op.regions:
        new.add_region(clone_region(region, mapping))
    return new


def clone_region(region: Region, mapping: dict[Value, Value]) -> Region:
    """Copy ``region`` with fresh arguments, renaming through ``mapping``."""
    new = Region([a.type for a in region.args], arg_names=[a.name_hint for a in region.args])
    for old, fresh in zip(region.args, new.args, strict=True):
        mapping[old] = fresh
    for op in region.ops:
        new.append(clone_op(op, mapping))
    return new


def clone_module(module: Module) -> Module:
    """A deep copy of ``module``."""
    mapping: dict[Value, Value] = {}
    return Module(
        [clone_op(f, mapping) for f in module.body.ops], dict(module.attributes), module.source
    )
