"""fmpc's typed dataflow IR: types, ops, modules, verifier, text and JSON forms."""

from fmpc.ir import ops_batch as _ops_batch  # noqa: F401 - registers fmpc.call.batch for the parser
from fmpc.ir.core import Attr, Location, Module, Op, Region, Trait, Value, VerifyError
from fmpc.ir.parser import ParseError, parse
from fmpc.ir.printer import print_module
from fmpc.ir.serialize import from_json, structurally_equal, to_json
from fmpc.ir.types import (
    Bool,
    Float,
    Image,
    Int,
    List,
    ListType,
    NoneT,
    Optional,
    OptionalType,
    Patch,
    Str,
    Type,
    parse_type,
)
from fmpc.ir.verifier import verify, verify_errors


def __getattr__(name: str) -> object:
    # The graph view needs networkx, which is slow to import: load it on first use only.
    if name in ("dataflow_graph", "uses"):
        from fmpc.ir import graph

        return getattr(graph, name)
    raise AttributeError(f"module 'fmpc.ir' has no attribute {name!r}")


__all__ = [
    "Attr",
    "Bool",
    "Float",
    "Image",
    "Int",
    "List",
    "ListType",
    "Location",
    "Module",
    "NoneT",
    "Op",
    "Optional",
    "OptionalType",
    "ParseError",
    "Patch",
    "Region",
    "Str",
    "Trait",
    "Type",
    "Value",
    "VerifyError",
    "dataflow_graph",
    "from_json",
    "parse",
    "parse_type",
    "print_module",
    "structurally_equal",
    "to_json",
    "uses",
    "verify",
    "verify_errors",
]
