"""Lowering of calls: library functions (both styles), string methods and helper functions."""

from __future__ import annotations

import ast
from collections.abc import Sequence

from fmpc.frontend.checks import SUPPORTED_BUILTINS
from fmpc.frontend.expressions import suggestion
from fmpc.frontend.options import PIN_KEYWORDS, OptionMixin
from fmpc.frontend.typesys import MAYBE_NONE, describe, is_float_target
from fmpc.ir.core import Op, Value
from fmpc.ir.ops import (
    AbsOp,
    EndsWithOp,
    JoinOp,
    LibOp,
    LowerOp,
    SplitOp,
    StartsWithOp,
    StripOp,
    SubOp,
    UpperOp,
)
from fmpc.ir.types import (
    Bool,
    Float,
    Image,
    Int,
    ListType,
    OptionalType,
    Patch,
    Str,
    Type,
    is_numeric,
)
from fmpc.library import Constant, LibraryFunction

# name: (op class, accepted argument counts, argument type, result type)
_STRING_METHODS: dict[str, tuple[type[Op], tuple[int, ...], Type, Type]] = {
    "lower": (LowerOp, (0,), Str, Str),
    "upper": (UpperOp, (0,), Str, Str),
    "strip": (StripOp, (0,), Str, Str),
    "split": (SplitOp, (0, 1), Str, ListType(Str)),
    "join": (JoinOp, (1,), ListType(Str), Str),
    "startswith": (StartsWithOp, (1,), Str, Bool),
    "endswith": (EndsWithOp, (1,), Str, Bool),
}
_CONTAINERS = ("list", "tuple", "dict", "set", "range", "zip", "map", "filter", "reversed")

Argument = tuple[Value, ast.AST]


def _fits(got: Type, want: Type) -> bool:
    """Whether a receiver of type ``got`` may be the first argument of a ``want`` method."""
    return got == want or (got == Image and want == Patch) or is_float_target(got, want)


class CallMixin(OptionMixin):
    """``f(...)`` and ``x.m(...)``."""

    def expr_Call(self, node: ast.Call) -> Value:  # noqa: N802 - dispatch by node class
        func = node.func
        if isinstance(func, ast.Name):
            return self.call_name(func.id, node)
        if isinstance(func, ast.Attribute):
            return self.call_method(func, node)
        self.lower_arguments(node)
        return self.error(
            node, "only library functions, helper functions and methods can be called"
        )

    # ------------------------------------------------------------------ plain names

    def call_name(self, name: str, node: ast.Call) -> Value:
        """``name(...)``: a helper, a built-in or a library function."""
        unavailable = name in self.program.unavailable and name not in self.frame.env
        if node.func in self.program.rejected or unavailable:
            self.lower_arguments(node)
            return self.poison()
        if name in self.program.helpers:
            return self.call_helper(name, node)
        if name in SUPPORTED_BUILTINS:
            return self.call_builtin(name, node)
        if name == "ImagePatch" and (len(node.args) > 1 or node.keywords):
            return self.image_patch_crop(node)
        entry = self.library.get("image_patch" if name == "ImagePatch" else name)
        if entry is not None and (entry.function or name == "ImagePatch"):
            return self.library_call(entry, None, node, name)
        self.lower_arguments(node)
        return self.error(node, self.unknown_function(name, entry))

    def image_patch_crop(self, node: ast.Call) -> Value:
        """``ImagePatch(image, left, lower, right, upper)``: the crop of the whole image's patch
        (ViperGPT's constructor with a box), i.e. ``crop(ImagePatch(image), ...)``."""
        whole, crop = self.library.get("image_patch"), self.library.get("crop")
        if whole is None or crop is None:
            self.lower_arguments(node)
            return self.error(node, "this library has no image_patch and crop to build a crop")
        params = ["image", *(name for name, _ in crop.params[1:])]
        slots, ok = self.bind_call(params, 0, node, "ImagePatch()")
        values = {param: self.expr(arg) for param, arg in slots.items()}
        if not ok:
            return self.stand_in(crop.result)
        image = self.coerce(values["image"], Image, slots["image"], "the image of ImagePatch()")
        box = [
            self.coerce(values[p], t, slots[p], f"argument '{p}' of ImagePatch()")
            for p, t in crop.params[1:]
        ]
        if self.quiet(image, *box):
            return self.stand_in(crop.result)
        patch = self.emit(LibOp, node, [image], [whole.result], {"fn": whole.name}).result
        return self.emit(LibOp, node, [patch, *box], [crop.result], {"fn": crop.name}).result

    def unknown_function(self, name: str, entry: LibraryFunction | None) -> str:
        """Why ``name(...)`` cannot be called, with the closest known name."""
        if entry is not None and entry.attribute:
            return f"'{name}' is an attribute of a patch, not a function; write patch.{name}"
        if entry is not None:
            return f"'{name}' is a method; write patch.{name}(...)"
        if name in _CONTAINERS:
            return (
                f"{name}() is not supported; iterate over lists directly, use enumerate(xs) for "
                "indices and list literals or comprehensions to build lists"
            )
        if isinstance(self.frame.env.get(name), Value):
            return f"'{name}' is a variable, not a function"
        known = [*self.program.helpers, *SUPPORTED_BUILTINS, "ImagePatch"]
        known += [f.name for f in self.library.functions if f.function]
        return f"unknown function '{name}'{suggestion(name, known)}"

    def call_helper(self, name: str, node: ast.Call) -> Value:
        """Bind the arguments of helper ``name`` and inline it (also after a mistake in the
        arguments, with poison for them, so that the helper's own mistakes are reported)."""
        fn = self.program.helpers[name]
        params = [a.arg for a in fn.args.args]
        slots, _ = self.bind_call(params, 0, node, f"{name}()")
        values = {param: self.expr(arg) for param, arg in slots.items()}
        return self.inline(name, [values.get(p) or self.poison() for p in params], node)

    # ------------------------------------------------------------------ methods

    def call_method(self, func: ast.Attribute, node: ast.Call) -> Value:
        """``receiver.method(...)``: a string method or a library method."""
        method = func.attr
        if method in ("append", "extend", "sort"):
            receiver = self.expr(func.value)
            self.lower_arguments(node)
            if self.quiet(receiver):
                return self.poison()
            if not isinstance(receiver.type, ListType):
                return self.error(node, self.unknown_method(method, receiver.type, None))
            return self.error(
                node,
                f"xs.{method}(...) must be a statement of its own (it changes xs and returns None)",
            )
        base = func.value
        if (
            isinstance(base, ast.Name)
            and base.id not in self.frame.env
            and base.id not in self.program.helpers
        ):
            self.lower_arguments(node)
            if base.id in self.program.unavailable:
                return self.poison()
            names = [f.name for f in self.library.functions if f.function]
            return self.error(
                node,
                f"unknown function '{base.id}.{method}': modules are not available{suggestion(method, names)}",
            )
        if method == "format" and isinstance(base, ast.Constant) and isinstance(base.value, str):
            return self.str_format(base.value, node)
        receiver = self.expr(base)
        if receiver.type == Str:
            return self.string_method(method, receiver, node)
        entry = self.library.get(method)
        if entry is not None and entry.ignores_receiver and receiver.type in (Patch, Image):
            return self.library_call(entry, None, node, f"{describe(receiver.type)}.{method}")
        if entry is not None and entry.method and _fits(receiver.type, entry.params[0][1]):
            return self.library_call(entry, receiver, node, f"{describe(receiver.type)}.{method}")
        self.lower_arguments(node)
        if self.quiet(receiver):
            return self.poison()
        return self.error(node, self.unknown_method(method, receiver.type, entry))

    def unknown_method(self, method: str, receiver: Type, entry: LibraryFunction | None) -> str:
        """Why ``x.method(...)`` cannot be called on a ``receiver``."""
        if isinstance(receiver, OptionalType):
            inner = receiver.inner
            fits = entry is not None and entry.method and _fits(inner, entry.params[0][1])
            if fits or (inner == Str and method in _STRING_METHODS):
                return f"{describe(receiver)} has no method '{method}'{MAYBE_NONE}"
            return self.unknown_method(method, inner, entry)
        if entry is not None and entry.attribute:
            return f"'{method}' is an attribute, not a method; write patch.{method}"
        if entry is not None and entry.function and receiver in (Patch, Image):
            return f"'{method}' is a function, not a method; call it as {method}(...)"
        names: list[str] = []
        if receiver in (Patch, Image):
            names = [f.name for f in self.library.functions if f.method]
        elif isinstance(receiver, ListType):
            return (
                f"{describe(receiver)} has no method '{method}'; lists support xs.append(v), "
                "xs.extend(ys) and xs.sort(key=..., reverse=...) as statements"
            )
        return f"{describe(receiver)} has no method '{method}'{suggestion(method, names)}"

    def string_method(self, method: str, receiver: Value, node: ast.Call) -> Value:
        """``s.lower()``, ``s.split(sep)``, ``sep.join(xs)``, ... ."""
        args = [self.expr(a) for a in node.args]
        spec = _STRING_METHODS.get(method)
        if method == "format":
            self.lower_loose([k.value for k in node.keywords])
            return self.error(
                node, 'str.format() needs a literal template, e.g. "{} of {}".format(a, b)'
            )
        if spec is None:
            return self.error(
                node,
                f"str has no supported method '{method}'{suggestion(method, list(_STRING_METHODS))}",
            )
        cls, counts, arg_type, result = spec
        if node.keywords or len(args) not in counts:
            allowed = " or ".join(str(c) for c in counts)
            return self.error(node, f"str.{method}() takes {allowed} positional argument(s)")
        coerced = [
            self.coerce(v, arg_type, a, f"the argument of str.{method}()")
            for v, a in zip(args, node.args, strict=True)
        ]
        if self.quiet(receiver, *coerced):
            return self.poison()
        return self.emit(cls, node, [receiver, *coerced], [result]).result

    # ------------------------------------------------------------------ library calls

    def library_call(
        self, entry: LibraryFunction, receiver: Value | None, node: ast.Call, spelled: str
    ) -> Value:
        """A call of library function ``entry``; ``receiver`` fills its first parameter.

        After a mistake in the arguments the call is still known to give a value of its result
        type, so later independent mistakes are reported too (one message per mistake).
        """
        spelled = f"{spelled}()"
        params = [name for name, _ in entry.params]
        names = params + [o.name for o in entry.options]
        pins = [
            k
            for k in node.keywords
            if k.arg is not None and k.arg in PIN_KEYWORDS and entry.keyword(k.arg) not in names
        ]
        keywords = [k for k in node.keywords if k not in pins]
        start = 0 if receiver is None else 1
        slots, ok = self.bind_call(names, start, node, spelled, keywords, entry)
        values: dict[str, Value] = {} if receiver is None else {params[0]: receiver}
        options: dict[str, Constant] = {}
        by_name = {o.name: o for o in entry.options}
        for name, arg in slots.items():
            if name in by_name:
                given, value = self.option_value(by_name[name], arg, spelled)
                ok = ok and given
                options[name] = value
            else:
                values[name] = self.expr(arg)
        pinned, pin = self.pin(entry, pins)
        if not (ok and pinned):
            return self.stand_in(self.result_type(entry, options))
        special = self.numeric_overload(entry, values, node)
        if special is not None:
            return special
        coerced = [
            self.coerce(
                self.argument(entry, p, values, node),
                t,
                slots.get(p, node),
                f"argument '{p}' of {spelled}",
            )
            for p, t in entry.params
        ]
        if self.quiet(*coerced):
            return self.stand_in(self.result_type(entry, options))
        return self.emit_library_call(entry, coerced, options, pin, node)

    def argument(
        self, entry: LibraryFunction, param: str, values: dict[str, Value], node: ast.Call
    ) -> Value:
        """The value bound to ``param``, or its default (a constant at the call)."""
        if param in values:
            return values[param]
        _, default = entry.default(param)
        return self.const(default, node)

    def numeric_overload(
        self, entry: LibraryFunction, values: dict[str, Value], node: ast.Call
    ) -> Value | None:
        """``distance(a, b)`` of two numbers is ``abs(a - b)`` (as ViperGPT's), a float."""
        if entry.name != "distance" or len(values) != 2:
            return None
        a, b = values.values()
        if not (is_numeric(a.type) or is_numeric(b.type)):
            return None
        if not (is_numeric(a.type) and is_numeric(b.type)):
            kinds = f"{describe(a.type)} and {describe(b.type)}"
            return self.type_error(
                node, f"distance() takes two patches or two numbers, not {kinds}", a.type, b.type
            )
        difference = self.binary(SubOp, "-", a, b, node)
        result = Float if difference.type == Float else Int
        gap = self.emit(AbsOp, node, [difference], [result]).result
        return self.coerce(gap, Float, node, "the distance")

    def lower_arguments(self, node: ast.Call) -> list[Value]:
        """Lower every argument of a call that is wrong (to report their own mistakes)."""
        return self.lower_loose([*node.args, *(k.value for k in node.keywords)])

    def lower_loose(self, nodes: Sequence[ast.expr]) -> list[Value]:
        """Lower arguments that have no place in a call, in source order; a ``lambda`` is
        skipped (its only mistake would be the call it is passed to)."""
        return [self.expr(a) for a in nodes if not isinstance(a, ast.Lambda)]

    def bind_call(
        self,
        params: Sequence[str],
        start: int,
        node: ast.Call,
        spelled: str,
        keywords: Sequence[ast.keyword] | None = None,
        entry: LibraryFunction | None = None,
    ) -> tuple[dict[str, ast.expr], bool]:
        """Match the call's positional and keyword arguments to ``params[start:]`` (the first
        ``start`` are given as receivers); ``(slots in source order, ok)``. Arity mistakes are
        reported, and the arguments that fit no slot are lowered for their own mistakes."""
        takes = list(params[start:])
        keywords = node.keywords if keywords is None else keywords
        slots: dict[str, ast.expr] = {}
        ok = True
        if len(node.args) > len(takes):
            listing = f" ({', '.join(takes)})" if takes else ""
            self.error(
                node,
                f"{spelled} takes {len(takes)} argument(s){listing} but {len(node.args)} were given",
            )
            self.lower_loose(node.args[len(takes) :])
            ok = False
        slots.update(zip(takes, node.args, strict=False))
        for keyword in keywords:
            ok = self.bind_keyword(params, start, slots, keyword, spelled, entry) and ok
        optional = {name for name in takes if entry is not None and self.optional(entry, name)}
        missing = [p for p in takes if p not in slots and p not in optional]
        if missing and ok:
            self.error(node, f"{spelled} is missing argument(s): {', '.join(missing)}")
            ok = False
        return slots, ok

    @staticmethod
    def optional(entry: LibraryFunction, name: str) -> bool:
        """Whether ``name`` (a parameter or an option of ``entry``) may be left out."""
        return entry.default(name)[0] or any(o.name == name for o in entry.options)

    def bind_keyword(
        self,
        params: Sequence[str],
        start: int,
        slots: dict[str, ast.expr],
        keyword: ast.keyword,
        spelled: str,
        entry: LibraryFunction | None,
    ) -> bool:
        """Put one keyword argument in its slot; report unknown or repeated names."""
        if keyword.arg is None:
            self.expr(keyword.value)
            self.error(keyword, "**kwargs is not supported; pass arguments by name one by one")
            return False
        name = entry.keyword(keyword.arg) if entry is not None else keyword.arg
        takes = params[start:]
        if name not in takes:
            self.lower_loose([keyword.value])
            if name in params:
                message = f"{spelled} got several values for argument '{keyword.arg}'"
            else:
                listing = ", ".join(takes) or "none"
                message = (
                    f"{spelled} has no parameter '{keyword.arg}'; its parameters are {listing}"
                )
            self.error(keyword, message)
            return False
        if name in slots:
            self.lower_loose([keyword.value])
            self.error(keyword, f"{spelled} got several values for argument '{keyword.arg}'")
            return False
        slots[name] = keyword.value
        return True
