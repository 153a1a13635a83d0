"""Keyword arguments of library calls that are not passed to the backend: backend pins and the
library's call options (``long_answer=``, ``return_index=``, ``prefix=``).

A **pin** fixes a routable call to one backend, so that no policy routes it. Three spellings are
accepted on every routable call, each a literal::

    find(image, "car", backend="det-l")    # the backend named det-l   -> {pin = "det-l"}
    find(image, "car", model_size="large") # the same, by another name -> {pin = "large"}
    p.exists("car", routing=1)             # the site's backend 1 (cheapest first) -> {pin = 1}

A **call option** (``fmpc.library.CallOption``) is recorded on the call op as an
attribute of its name, except for the built-in ones with a lowering of their own:

- ``best_image_match(ps, content, return_index=True)``: the call, then ``fmpc.lib index_of``
  (the position of the returned patch in ``ps``), an ``int``;
- ``best_text_match(options, prefix="the color")``: the call on ``[prefix + " " + o for o in
  options]``, and the answer with the prefix sliced off again, so the option itself comes back.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from types import MappingProxyType

from fmpc.frontend.comprehensions import ComprehensionMixin
from fmpc.frontend.typesys import describe
from fmpc.ir.core import Attr, Region, Value
from fmpc.ir.ops import AddOp, CallOp, LibOp, MapOp, SliceOp
from fmpc.ir.types import Bool, Float, Int, List, ListType, Str, Type
from fmpc.library import CallOption, Constant, LibraryFunction

PIN_KEYWORDS: Mapping[str, Type] = MappingProxyType(
    {"backend": Str, "model_size": Str, "routing": Int}
)
"""The keywords that pin a routable call to a backend: by name, or by index (``routing``)."""

_PYTHON_TYPES: Mapping[Type, tuple[type, ...]] = MappingProxyType(
    {Bool: (bool,), Int: (int,), Float: (int, float), Str: (str,)}
)


def literal_of(node: ast.expr) -> tuple[bool, Constant]:
    """``(True, value)`` when ``node`` is a literal (``-3`` included), else ``(False, None)``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float | str | bool | None):
        return True, node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        operand = node.operand.value if isinstance(node.operand, ast.Constant) else None
        if type(operand) in (int, float):
            assert isinstance(operand, int | float)
            return True, -operand
    return False, None


def fits_literal(value: Constant, t: Type) -> bool:
    """Whether the literal ``value`` is a ``t`` (``True`` is not an int here)."""
    kinds = _PYTHON_TYPES.get(t, ())
    return isinstance(value, kinds) and not (t in (Int, Float) and isinstance(value, bool))


class OptionMixin(ComprehensionMixin):
    """Pins and call options of library calls."""

    def literal_argument(self, node: ast.expr, t: Type, what: str) -> tuple[bool, Constant]:
        """The literal value of an argument that must be a compile-time ``t``; reports it if not."""
        ok, value = literal_of(node)
        if ok and fits_literal(value, t):
            return True, value
        self.expr(node)  # its own mistakes first, then why it must be a literal
        self.error(node, f"{what} must be a literal {describe(t)} (it fixes how the call is made)")
        return False, None

    def pin(self, entry: LibraryFunction, pins: list[ast.keyword]) -> tuple[bool, Attr]:
        """The ``pin`` attribute of a call from its pin keywords (at most one); ``(ok, pin)``."""
        if not pins:
            return True, None
        if not entry.routable:
            for keyword in pins:
                self.error(
                    keyword,
                    f"'{entry.name}' is a deterministic helper, not served by a backend; "
                    f"it cannot be pinned with {keyword.arg}=",
                )
            return False, None
        if len(pins) > 1:
            self.error(pins[1], "a call can be pinned to one backend only")
            return False, None
        keyword = pins[0]
        assert keyword.arg is not None
        ok, value = self.literal_argument(
            keyword.value, PIN_KEYWORDS[keyword.arg], f"the backend pin {keyword.arg}="
        )
        if ok and isinstance(value, int) and value < 0:
            self.error(keyword.value, "routing= is the index of a backend, 0 or more")
            return False, None
        if ok and value == "":
            self.error(keyword.value, f"{keyword.arg}= needs a backend name")
            return False, None
        return ok, value

    def emit_library_call(
        self,
        entry: LibraryFunction,
        values: list[Value],
        options: dict[str, Constant],
        pin: Attr,
        node: ast.Call,
    ) -> Value:
        """The op(s) of a bound library call: ``fmpc.call`` / ``fmpc.lib`` with its options."""
        if not entry.routable:
            return self.emit(LibOp, node, values, [entry.result], {"fn": entry.name}).result
        attrs: dict[str, Attr] = {"fn": entry.name, "site": 0}  # sites are numbered at the end
        if pin is not None:
            attrs["pin"] = pin
        lowering = _LOWERINGS.get(entry.name, frozenset())
        for option in entry.options:
            value = options.get(option.name, option.default)
            if option.name not in lowering and option.name in options and value is not None:
                attrs[option.name] = value
        if entry.name == "best_text_match" and options.get("prefix") is not None:
            return self.prefixed_match(entry, values, str(options["prefix"]), attrs, node)
        result = self.emit(CallOp, node, values, [entry.result], attrs).result
        if entry.name == "best_image_match" and options.get("return_index"):
            return self.emit(LibOp, node, [values[0], result], [Int], {"fn": "index_of"}).result
        return result

    def prefixed_match(
        self,
        entry: LibraryFunction,
        values: list[Value],
        prefix: str,
        attrs: dict[str, Attr],
        node: ast.Call,
    ) -> Value:
        """``best_text_match(p, options, prefix=...)``: match ``prefix + " " + option`` and
        return the option."""
        patch, options = values
        assert isinstance(options.type, ListType)
        region = Region([Int, Str], arg_names=[None, "option"])
        with self.in_region(region):
            joined = self.emit(AddOp, node, [self.const(prefix + " ", node), region.args[1]], [Str])
            self.yield_in(region, [joined.result], [Str], node)
        prefixed = self.emit(MapOp, node, [options], [List(Str)], regions=[region]).result
        answer = self.emit(CallOp, node, [patch, prefixed], [entry.result], attrs).result
        start = self.const(len(prefix) + 1, node)
        return self.emit(SliceOp, node, [answer, start, self.const(None, node)], [Str]).result

    def option_value(
        self, option: CallOption, node: ast.expr, spelled: str
    ) -> tuple[bool, Constant]:
        """The literal given for ``option`` (``None`` counts as not given)."""
        ok, value = literal_of(node)
        if ok and value is None:
            return True, None
        return self.literal_argument(node, option.type, f"{option.name}= of {spelled}")

    def result_type(self, entry: LibraryFunction, options: dict[str, Constant]) -> Type:
        """What a call of ``entry`` with ``options`` gives (``return_index=True``: an int)."""
        if entry.name == "best_image_match" and options.get("return_index"):
            return Int
        return entry.result


_LOWERINGS: Mapping[str, frozenset[str]] = MappingProxyType(
    {"best_image_match": frozenset({"return_index"}), "best_text_match": frozenset({"prefix"})}
)
"""Built-in options with their own lowering (the others become call attributes)."""
