"""The module verifier: generic structural checks, then each op's own ``verify_`` hook.

Checked: values are defined before use (structured dominance; ``isolated`` ops hide outer
values), operand/result/region arity, attribute types, terminators (one per region, at its end),
unique call-site ids, and the entry function's signature.
"""

from __future__ import annotations

from fmpc.ir.core import Module, Op, Region, Trait, Value, VerifyError
from fmpc.ir.ops import CallOp, FuncOp
from fmpc.ir.types import Image


def verify(module: Module) -> None:
    """Raise the first ``VerifyError`` found in ``module`` (with its source line when known)."""
    errors = verify_errors(module)
    if errors:
        raise errors[0]


def verify_errors(module: Module) -> list[VerifyError]:
    """All verification errors of ``module``, each located and quoting its source line."""
    errors: list[VerifyError] = []
    names: set[object] = set()
    for func in module.body.ops:
        if not isinstance(func, FuncOp):
            errors.append(func.error("only fmpc.func ops may appear at module level"))
            continue
        if func.attributes.get("sym_name") in names:
            errors.append(func.error(f"duplicate function @{func.attributes.get('sym_name')}"))
        names.add(func.attributes.get("sym_name"))
        _verify_op(func, set(), errors)
    errors.extend(_check_entry(module))
    errors.extend(_check_sites(module))
    return [_with_source(e, module) for e in errors]


def _check_entry(module: Module) -> list[VerifyError]:
    try:
        entry = module.entry
    except KeyError:
        return [VerifyError(f"module has no entry function @{Module.ENTRY}")]
    params = [a.type for a in entry.regions[0].args] if entry.regions else []
    if params != [Image]:
        return [entry.error(f"@{Module.ENTRY} must take exactly one Image argument")]
    return []


def _check_sites(module: Module) -> list[VerifyError]:
    seen: dict[int, Op] = {}
    errors = []
    for op in module.walk():
        if isinstance(op, CallOp) and isinstance(op.attributes.get("site"), int):
            if op.site in seen:
                errors.append(op.error(f"call-site id {op.site} is used twice"))
            seen[op.site] = op
    return errors


def _verify_op(op: Op, visible: set[Value], errors: list[VerifyError]) -> None:
    for i, operand in enumerate(op.operands):
        if operand not in visible:
            errors.append(op.error(f"operand {i} is used before it is defined (or out of scope)"))
    try:
        _check_shape(op)
        op.verify_()
    except VerifyError as exc:
        errors.append(exc)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        errors.append(op.error(f"malformed op: {exc}"))
    outer = set() if op.has_trait(Trait.ISOLATED) else visible
    for region in op.regions:
        _verify_region(region, set(outer), errors)


def _verify_region(region: Region, visible: set[Value], errors: list[VerifyError]) -> None:
    visible.update(region.args)
    for i, op in enumerate(region.ops):
        if op.parent is not region:
            errors.append(op.error("op's parent link is stale"))
        is_last = i == len(region.ops) - 1
        if op.has_trait(Trait.TERMINATOR) and not is_last:
            errors.append(op.error("terminator is followed by more ops"))
        _verify_op(op, visible, errors)
        visible.update(op.results)
    if region.terminator is None:
        owner = region.parent
        errors.append(VerifyError("region does not end in a terminator", owner))


def _check_shape(op: Op) -> None:
    cls = type(op)
    if cls.num_operands is not None and len(op.operands) != cls.num_operands:
        raise op.error(f"expects {cls.num_operands} operands, got {len(op.operands)}")
    if cls.num_results is not None and len(op.results) != cls.num_results:
        raise op.error(f"expects {cls.num_results} results, got {len(op.results)}")
    allowed = cls.num_regions
    if isinstance(allowed, int):
        allowed = (allowed,)
    if allowed is not None and len(op.regions) not in allowed:
        raise op.error(f"expects {' or '.join(map(str, allowed))} regions, got {len(op.regions)}")
    for key, kind in cls.attribute_types.items():
        if key not in op.attributes:
            raise op.error(f"missing attribute '{key}'")
        value = op.attributes[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise op.error(f"attribute '{key}' has the wrong kind: {value!r}")


def _with_source(error: VerifyError, module: Module) -> VerifyError:
    op = error.op
    if op is None or op.loc is None or not module.source:
        return error
    lines = module.source.splitlines()
    if 1 <= op.loc.line <= len(lines):
        quoted = VerifyError(f"{error.message}\n    {lines[op.loc.line - 1].rstrip()}", op)
        return quoted
    return error
