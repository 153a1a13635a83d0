"""Shared state of one lowering attempt: where ops go, what names mean, and implicit conversions.

The lowering is split over mixins (expressions, calls, built-ins, statements, functions) that all
derive from ``LowererBase``. One ``Lowerer`` lowers one program once; the driver in
``fmpc.frontend.compiler`` repeats the attempt when it learned a type it needed earlier (the element
type of an empty list, a loop variable that becomes a float), feeding the learned ``hints`` back.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from fmpc.frontend.checks import Program
from fmpc.frontend.diagnostics import WARNING, Reporter, SourceText
from fmpc.frontend.narrowing import not_none_when
from fmpc.frontend.typesys import (
    ERROR,
    MAYBE_NONE,
    HintKey,
    PendingType,
    conversion_steps,
    converts,
    describe,
    is_error,
    join,
    pending_key,
)
from fmpc.ir.core import Attr, Location, Module, Op, Region, Value
from fmpc.ir.ops import CastOp, ConstOp, LibOp, MakeListOp
from fmpc.ir.types import Image, ListType, NoneT, OptionalType, Patch, Type
from fmpc.library import Library

RETURN_SLOT = "return"  # hidden loop-carried variable of inlined helpers (a keyword: no clash)


@dataclass(frozen=True)
class Undefined:
    """A variable that may be unbound at this point; ``reason`` says where it is assigned."""

    reason: str


Binding = Value | Undefined
Env = dict[str, Binding]


@dataclass
class Loop:
    """A ``for`` loop being lowered: the names it carries and their types."""

    carried: list[str]
    types: list[Type]
    synthetic: bool = False  # the one-iteration loop around an inlined helper body
    node: ast.AST | None = None  # the for statement (keys of learned carried types)


@dataclass
class Frame:
    """The function being lowered (the entry, or a helper inlined at one call site)."""

    name: str
    env: Env
    mode: str  # "entry" | "tail" | "wrapper"
    context: tuple[object, ...] = ()
    result: Type | None = None  # the declared result type
    loops: list[Loop] = field(default_factory=list)
    returns: list[tuple[Op, ast.Return]] = field(default_factory=list)


def node_pos(node: ast.AST) -> tuple[int, int]:
    """``(line, col_offset)`` of a node, used in hint keys."""
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))


class LowererBase:
    """Emission, scopes, hints and coercions shared by all lowering mixins."""

    def __init__(
        self,
        text: SourceText,
        report: Reporter,
        library: Library,
        program: Program,
        hints: dict[HintKey, Type],
    ) -> None:
        self.text = text
        self.report = report
        self.library = library
        self.program = program
        self.hints = hints
        self.retry = False
        self.region = Region()
        self.frame = Frame("<module>", {}, "entry")
        self.inline_stack: list[str] = []
        self.callers: list[Frame] = []  # the frames an inlined helper was called from
        self.unknown_names: set[tuple[str, str]] = set()  # (function, name) already reported
        self.loop_items: set[Value] = set()  # the item arguments of loops and comprehensions
        self.called: set[str] = set()
        # pending types that silenced a check: reported at the end if never learned
        self.silenced: set[HintKey] = set()
        # Optional[T] -> T conversions made by tests like `x is not None` (unused ones go)
        self.narrowings: list[Op] = []

    # ------------------------------------------------------------------ lowering hooks

    def expr(self, node: ast.expr) -> Value:
        """Lower an expression to a value (defined in ``ExpressionMixin``)."""
        raise NotImplementedError

    def condition(self, node: ast.expr) -> Value:
        """Lower an expression used for its truth value to a Bool."""
        raise NotImplementedError

    def lower_block(self, stmts: Sequence[ast.stmt]) -> bool:
        """Lower statements; ``False`` when control never reaches the end."""
        raise NotImplementedError

    def call_builtin(self, name: str, node: ast.Call) -> Value:
        """Lower a call of a built-in function (defined in ``BuiltinMixin``)."""
        raise NotImplementedError

    def inline(self, name: str, args: list[Value], node: ast.Call) -> Value:
        """Inline helper ``name`` at the call ``node`` (defined in ``FunctionMixin``)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ emission

    def loc(self, node: ast.AST) -> Location:
        """The source location of ``node``."""
        line = getattr(node, "lineno", 1)
        return Location(
            self.text.filename, line, self.text.column(line, getattr(node, "col_offset", 0))
        )

    def emit(
        self,
        cls: type[Op],
        node: ast.AST,
        operands: Sequence[Value] = (),
        results: Sequence[Type] = (),
        attributes: dict[str, Attr] | None = None,
        regions: Sequence[Region] = (),
    ) -> Op:
        """Build an op located at ``node`` and append it to the current region."""
        op = cls(list(operands), list(results), attributes, list(regions), loc=self.loc(node))
        self.region.append(op)
        return op

    def const(self, value: int | float | str | bool | None, node: ast.AST) -> Value:
        """A ``fmpc.const``."""
        from fmpc.ir.types import Bool, Float, Int, NoneT, Str

        kinds: dict[type, Type] = {bool: Bool, int: Int, float: Float, str: Str, type(None): NoneT}
        return self.emit(ConstOp, node, (), [kinds[type(value)]], {"value": value}).result

    @contextmanager
    def in_region(self, region: Region) -> Iterator[Env]:
        """Lower into ``region`` with a copy of the current variables (its own scope)."""
        saved_region, saved_env = self.region, self.frame.env
        self.region = region
        self.frame.env = dict(saved_env)
        try:
            yield self.frame.env
        finally:
            self.region, self.frame.env = saved_region, saved_env

    # ------------------------------------------------------------------ diagnostics

    def error(self, node: ast.AST, message: str) -> Value:
        """Report an error at ``node`` and return a poison value."""
        self.report.at(getattr(node, "lineno", 1), getattr(node, "col_offset", 0), message)
        return self.poison()

    def warn(self, node: ast.AST, message: str) -> None:
        """Report a warning at ``node``."""
        self.report.at(getattr(node, "lineno", 1), getattr(node, "col_offset", 0), message, WARNING)

    def type_error(self, node: ast.AST, message: str, *types: Type) -> Value:
        """Report a type error unless one of ``types`` is already poisoned or still pending."""
        if any(self.unsettled(t) for t in types):
            self.silenced.update(k for k in map(pending_key, types) if k is not None)
            return self.poison()
        return self.error(node, message)

    @staticmethod
    def unsettled(t: Type) -> bool:
        """Whether ``t`` is poison or contains a pending element type."""
        return is_error(t) or pending_key(t) is not None

    @staticmethod
    def poison() -> Value:
        """A value standing for an expression that was already reported."""
        return Value(ERROR)

    @staticmethod
    def stand_in(t: Type) -> Value:
        """A value of type ``t`` standing for an expression that was already reported but whose
        type is known (a library call with a wrong argument): later, independent mistakes with
        it are still reported. Like poison, it never reaches a returned module."""
        return Value(t)

    def quiet(self, *values: Value) -> bool:
        """Whether any of ``values`` is poison or a bare pending element (stay silent)."""
        pending = [v.type.key for v in values if isinstance(v.type, PendingType)]
        self.silenced.update(pending)
        return bool(pending) or any(is_error(v.type) for v in values)

    # ------------------------------------------------------------------ hints (learned types)

    def learn(self, key: HintKey, t: Type) -> None:
        """Record that the pending type ``key`` is ``t``; the driver then lowers again."""
        if self.unsettled(t):
            inner = pending_key(t)
            if inner is not None:
                self.silenced.add(inner)
            return
        known = self.hints.get(key)
        widened = t if known is None else join(known, t)
        if widened is not None and widened != known:
            self.hints[key] = widened
            self.retry = True

    def learn_from(self, got: Type, want: Type) -> None:
        """Learn the pending element types in ``got`` from the matching parts of ``want``."""
        while isinstance(got, ListType) and isinstance(want, ListType):
            if isinstance(got.element, PendingType):
                self.learn(got.element.key, want.element)
                return
            got, want = got.element, want.element

    def empty_list_type(self, key: HintKey) -> ListType:
        """The type of the empty list ``key``: learned, else pending."""
        return ListType(self.hints.get(key, PendingType(key)))

    def hint_key(self, kind: str, node: ast.AST, *extra: object) -> HintKey:
        """A key for a learned type, distinct for every inlined copy of a helper."""
        return (kind, self.frame.context, node_pos(node), *extra)

    # ------------------------------------------------------------------ coercions

    def coerce(self, value: Value, want: Type, node: ast.AST, what: str) -> Value:
        """``value`` as a ``want``: as is, or by an implicit conversion (Image -> Patch,
        Int/Bool -> Float); anything else is a type error naming ``what``."""
        got = value.type
        if got == want or is_error(want):
            return value
        if is_error(got) or isinstance(got, PendingType):
            self.quiet(value)
            return self.poison()
        if converts(got, want):
            for step in conversion_steps(got, want):
                value = self.emit(CastOp, node, [value], [step]).result
            return value
        if got == Image and want == Patch:
            return self.image_to_patch(value, node)
        if isinstance(want, OptionalType) and got != NoneT:
            inner = self.coerce(value, want.inner, node, what)
            return inner if self.quiet(inner) else self.coerce(inner, want, node, what)
        if pending_key(got) is not None and join(got, want) == want:
            self.learn_from(got, want)
            return self.poison()
        if pending_key(want) is not None and join(got, want) == got:
            self.learn_from(want, got)
            return self.poison()
        hint = ""
        if isinstance(got, OptionalType) and join(got.inner, want) == want:
            hint = MAYBE_NONE
        return self.type_error(
            node, f"{what} has type {describe(got)}, expected {describe(want)}{hint}", got, want
        )

    def image_to_patch(self, image: Value, node: ast.AST) -> Value:
        """``ImagePatch(image)`` via the library's ``image_patch``."""
        entry = self.library.get("image_patch")
        if entry is None:
            return self.error(
                node, "this library has no 'image_patch' to turn an image into a patch"
            )
        return self.emit(LibOp, node, [image], [entry.result], {"fn": "image_patch"}).result

    def meet(self, values: Sequence[Value], node: ast.AST, what: str) -> Type | None:
        """The common type of values that flow together, learning pending list types.

        Reports ``what`` (formatted with the two types) when they do not agree.
        """
        if any(is_error(v.type) for v in values):
            return None
        joined = values[0].type
        for v in values[1:]:
            both = join(joined, v.type)
            if both is None:
                self.type_error(
                    node, what.format(describe(joined), describe(v.type)), joined, v.type
                )
                return None
            joined = both
        for v in values:
            self.learn_from(v.type, joined)
        return joined

    def make_list(self, items: Sequence[Value], element: Type, node: ast.AST) -> Value:
        """``[items...]`` as a ``List[element]``."""
        coerced = [self.coerce(v, element, node, "list element") for v in items]
        return self.emit(MakeListOp, node, coerced, [ListType(element)]).result

    # ------------------------------------------------------------------ narrowing

    def narrow(self, test: ast.expr, truthy: bool) -> dict[str, tuple[Value, Value]]:
        """Rebind the optional variables ``test`` proves are not None (when it is ``truthy``)
        to their ``T`` value, in the current region; returns ``{name: (before, after)}``."""
        done: dict[str, tuple[Value, Value]] = {}
        for name in sorted(not_none_when(test, truthy)):
            value = self.frame.env.get(name)
            if isinstance(value, Value) and isinstance(value.type, OptionalType):
                cast = self.emit(CastOp, test, [value], [value.type.inner])
                self.narrowings.append(cast)
                self.bind(name, cast.result)
                done[name] = (value, cast.result)
        return done

    @staticmethod
    def unnarrow(env: Env, done: dict[str, tuple[Value, Value]]) -> None:
        """Undo :meth:`narrow` in ``env`` for the variables not assigned since."""
        for name, (before, after) in done.items():
            if env.get(name) is after:
                env[name] = before

    def drop_unused_narrowings(self, module: Module) -> None:
        """Remove the narrowing conversions nothing reads."""
        used = {v for op in module.walk() for v in op.operands}
        for cast in self.narrowings:
            if cast.result not in used and cast.parent is not None:
                cast.parent.remove(cast)

    # ------------------------------------------------------------------ variables

    def forget(self, names: Sequence[str]) -> None:
        """Bind ``names`` to poison (their assignment was already reported)."""
        for name in names:
            self.frame.env[name] = self.poison()

    def bind(self, name: str, value: Value) -> None:
        """Assign ``value`` to variable ``name``."""
        if value.name_hint is None and not is_error(value.type):
            value.name_hint = name
        self.frame.env[name] = value
