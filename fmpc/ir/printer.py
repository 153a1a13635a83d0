"""The text form of the IR: one op per line, types and call sites shown.

::

    module "prog.py" {
      func @execute_command(%image: Image) -> Bool {
        %0 = fmpc.lib(%image) {fn = "image_patch"} : (Image) -> Patch loc(2:11)
        %1 = fmpc.const() {value = "7"} : () -> Str loc(3:22)
        %found = fmpc.call(%0, %1) {fn = "exists", site = 0} : (Patch, Str) -> Bool loc(3:12)
        fmpc.return(%found) : (Bool) -> () loc(4:5)
      }
    }

``parse(print_module(m))`` is structurally equal to ``m``; see :mod:`fmpc.ir.parser`.
"""

from __future__ import annotations

import json
import re
from collections import Counter

from fmpc.ir.core import Attr, Location, Module, Op, Region, Value
from fmpc.ir.ops import FuncOp
from fmpc.ir.types import Type

_INDENT = "  "
_NAME_OK = re.compile(r"[^A-Za-z0-9_]")


def print_module(module: Module, *, names: bool = True) -> str:
    """The text form of ``module``; ``names=False`` numbers every value (for comparisons)."""
    return _Printer(module, names).print()


def print_type(t: Type) -> str:
    """A type as written in the text form."""
    return str(t)


def print_attr(value: Attr) -> str:
    """An attribute value as written in the text form."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return json.dumps(value) if value == value and abs(value) != float("inf") else repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, Type):
        return f"!{value}"
    if isinstance(value, tuple):
        return "[" + ", ".join(print_attr(v) for v in value) + "]"
    raise TypeError(f"cannot print attribute {value!r}")


def _types(types: list[Type]) -> str:
    return "(" + ", ".join(print_type(t) for t in types) + ")"


def _results(types: list[Type]) -> str:
    return print_type(types[0]) if len(types) == 1 else _types(types)


def default_file(module: Module) -> str | None:
    """The source file most locations in ``module`` refer to."""
    files = Counter(op.loc.file for op in module.walk() if op.loc is not None)
    return files.most_common(1)[0][0] if files else None


class _Printer:
    def __init__(self, module: Module, use_hints: bool) -> None:
        self.mod = module
        self.use_hints = use_hints
        self.names: dict[Value, str] = {}
        self.taken: set[str] = set()
        self.counter = 0
        self.file = default_file(module)
        self.lines: list[str] = []

    def name(self, value: Value) -> str:
        if value not in self.names:
            self.names[value] = self._fresh(value.name_hint if self.use_hints else None)
        return self.names[value]

    def use(self, value: Value) -> str:
        # An operand not defined in the module (a verifier error) still prints.
        return self.names.get(value) or "%<undefined>"

    def _fresh(self, hint: str | None) -> str:
        if hint:
            base = _NAME_OK.sub("_", hint)
            if base[0].isdigit():
                base = "_" + base
            candidate, k = base, 0
            while candidate in self.taken:
                k += 1
                candidate = f"{base}_{k}"
        else:
            while str(self.counter) in self.taken:
                self.counter += 1
            candidate = str(self.counter)
            self.counter += 1
        self.taken.add(candidate)
        return "%" + candidate

    def loc(self, loc: Location | None) -> str:
        if loc is None:
            return ""
        if loc.file == self.file:
            return f" loc({loc.line}:{loc.col})"
        return f" loc({json.dumps(loc.file)}:{loc.line}:{loc.col})"

    def print(self) -> str:
        head = "module"
        if self.file is not None:
            head += f" {json.dumps(self.file)}"
        if self.mod.attributes:
            head += " attributes " + self.attrs(self.mod.attributes)
        self.lines.append(head + " {")
        for op in self.mod.body.ops:
            self.op(op, 1)
        self.lines.append("}")
        return "\n".join(self.lines) + "\n"

    def attrs(self, attributes: dict[str, Attr]) -> str:
        return "{" + ", ".join(f"{k} = {print_attr(v)}" for k, v in attributes.items()) + "}"

    def op(self, op: Op, depth: int) -> None:
        if isinstance(op, FuncOp):
            self.func(op, depth)
            return
        pad = _INDENT * depth
        results = ", ".join(self.name(r) for r in op.results)
        text = f"{results} = " if results else ""
        text += f"{op.name}(" + ", ".join(self.use(v) for v in op.operands) + ")"
        if op.attributes:
            text += " " + self.attrs(op.attributes)
        text += f" : {_types([v.type for v in op.operands])} -> {_results([r.type for r in op.results])}"
        if not op.regions:
            self.lines.append(pad + text + self.loc(op.loc))
            return
        self.lines.append(pad + text + " {")
        for i, region in enumerate(op.regions):
            if i:
                self.lines.append(pad + "} {")
            self.region(region, depth + 1)
        self.lines.append(pad + "}" + self.loc(op.loc))

    def region(self, region: Region, depth: int) -> None:
        if region.args:
            args = ", ".join(f"{self.name(a)}: {print_type(a.type)}" for a in region.args)
            self.lines.append(_INDENT * (depth - 1) + f"^({args}):")
        for op in region.ops:
            self.op(op, depth)

    def func(self, op: FuncOp, depth: int) -> None:
        pad = _INDENT * depth
        body = op.regions[0] if op.regions else Region()
        params = ", ".join(f"{self.name(a)}: {print_type(a.type)}" for a in body.args)
        extra = {k: v for k, v in op.attributes.items() if k not in ("sym_name", "result_type")}
        text = (
            f"func @{op.attributes.get('sym_name')}({params}) -> {op.attributes.get('result_type')}"
        )
        if extra:
            text += " attributes " + self.attrs(extra)
        self.lines.append(pad + text + self.loc(op.loc) + " {")
        for inner in body.ops:
            self.op(inner, depth + 1)
        self.lines.append(pad + "}")
