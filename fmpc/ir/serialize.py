"""A JSON form of modules for tools, and structural equality.

The JSON form mirrors the text form: values are numbered in definition order and referred to by
number. ``from_json(to_json(m))`` is structurally equal to ``m``.
"""

from __future__ import annotations

from typing import Any

from fmpc.ir.core import Attr, Location, Module, Op, Region, Value
from fmpc.ir.ops import all_op_classes
from fmpc.ir.printer import print_module
from fmpc.ir.types import Type, parse_type

FORMAT_VERSION = 1


def structurally_equal(a: Module, b: Module) -> bool:
    """Whether two modules have the same ops, types, attributes, regions, uses and locations.

    Value names are ignored: they belong to the printer.
    """
    return print_module(a, names=False) == print_module(b, names=False)


def to_json(module: Module) -> dict[str, Any]:
    """A JSON-serializable dict describing ``module``."""
    numbers: dict[Value, int] = {}
    return {
        "format": "fmpc-ir",
        "version": FORMAT_VERSION,
        "attributes": {k: _attr_to_json(v) for k, v in module.attributes.items()},
        "funcs": [_op_to_json(op, numbers) for op in module.body.ops],
    }


def from_json(data: dict[str, Any]) -> Module:
    """Rebuild a module from :func:`to_json` output; ``ValueError`` on malformed data."""
    if data.get("format") != "fmpc-ir":
        raise ValueError('not an fmpc IR document (missing "format": "fmpc-ir")')
    if data.get("version") != FORMAT_VERSION:
        raise ValueError(f"unsupported IR JSON version {data.get('version')!r}")
    values: list[Value] = []
    classes = all_op_classes()
    try:
        funcs = [_op_from_json(op, values, classes) for op in data["funcs"]]
        attributes = {k: _attr_from_json(v) for k, v in data.get("attributes", {}).items()}
    except (KeyError, TypeError, IndexError, AttributeError) as exc:
        raise ValueError(f"malformed IR JSON: {exc!r}") from None
    return Module(funcs, attributes)


def _number(value: Value, numbers: dict[Value, int]) -> int:
    numbers[value] = len(numbers)
    return numbers[value]


def _op_to_json(op: Op, numbers: dict[Value, int]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "op": op.name,
        "operands": [numbers[v] for v in op.operands],
        "attributes": {k: _attr_to_json(v) for k, v in op.attributes.items()},
    }
    if op.regions:
        out["regions"] = [_region_to_json(r, numbers) for r in op.regions]
    out["results"] = [{"id": _number(r, numbers), "type": str(r.type)} for r in op.results]
    if op.loc is not None:
        out["loc"] = [op.loc.file, op.loc.line, op.loc.col]
    return out


def _region_to_json(region: Region, numbers: dict[Value, int]) -> dict[str, Any]:
    return {
        "args": [{"id": _number(a, numbers), "type": str(a.type)} for a in region.args],
        "ops": [_op_to_json(op, numbers) for op in region.ops],
    }


def _op_from_json(data: dict[str, Any], values: list[Value], classes: dict[str, type[Op]]) -> Op:
    cls = classes.get(data["op"])
    if cls is None:
        raise ValueError(f"unknown op {data['op']!r}")
    operands = [values[_value_id(i, len(values))] for i in data["operands"]]
    regions = [_region_from_json(r, values, classes) for r in data.get("regions", [])]
    attributes = {k: _attr_from_json(v) for k, v in data["attributes"].items()}
    loc = _location(data["loc"]) if "loc" in data else None
    op = cls(operands, [parse_type(r["type"]) for r in data["results"]], attributes, regions, loc)
    for spec, value in zip(data["results"], op.results, strict=True):
        _bind(values, spec["id"], value)
    return op


def _value_id(number: Any, defined: int) -> int:
    if not isinstance(number, int) or isinstance(number, bool) or not 0 <= number < defined:
        raise ValueError(f"operand {number!r} is not the id of a value defined before it")
    return number


def _location(data: Any) -> Location:
    match data:
        case [str(file), int(line), int(col)] if not isinstance(line, bool) and line >= 1:
            return Location(file, line, col)
    raise ValueError(f'"loc" must be [file, line, column], got {data!r}')


def _region_from_json(
    data: dict[str, Any], values: list[Value], classes: dict[str, type[Op]]
) -> Region:
    region = Region([parse_type(a["type"]) for a in data["args"]])
    for spec, value in zip(data["args"], region.args, strict=True):
        _bind(values, spec["id"], value)
    for op in data["ops"]:
        region.append(_op_from_json(op, values, classes))
    return region


def _bind(values: list[Value], number: int, value: Value) -> None:
    if number != len(values):
        raise ValueError(f"value ids must be numbered in definition order (got {number})")
    values.append(value)


def _attr_to_json(value: Attr) -> Any:
    if isinstance(value, Type):
        return {"type": str(value)}
    if isinstance(value, tuple):
        return {"tuple": [_attr_to_json(v) for v in value]}
    if isinstance(value, float) and (value != value or abs(value) == float("inf")):
        return {"float": repr(value)}
    return value


def _attr_from_json(value: Any) -> Attr:
    if isinstance(value, dict):
        if "type" in value:
            return parse_type(value["type"])
        if "tuple" in value:
            return tuple(_attr_from_json(v) for v in value["tuple"])
        if "float" in value:
            return float(value["float"])
        raise ValueError(f"unknown attribute encoding {value!r}")
    if isinstance(value, list):
        raise ValueError('lists are encoded as {"tuple": [...]}')
    return value
