"""Frontend-only types and the typing rules of the accepted Python subset.

Two placeholder types exist only while lowering and never reach a returned module:
``PendingType`` (the element type of an empty list literal whose type is inferred from later uses)
and ``ERROR`` (the type of a value whose expression already produced a diagnostic; anything built
from it is silently poisoned so that one mistake gives one message).
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from fmpc.ir.types import (
    Bool,
    Float,
    Image,
    Int,
    ListType,
    NoneT,
    Optional,
    OptionalType,
    Patch,
    Str,
    Type,
    unwrap_optional,
)

HintKey = tuple[object, ...]


@dataclass(frozen=True)
class PendingType(Type):
    """The not-yet-known element type of the empty list literal identified by ``key``."""

    key: HintKey

    def __str__(self) -> str:
        return "?"


@dataclass(frozen=True)
class ErrorType(Type):
    """The type of a value whose expression was already reported as an error."""

    def __str__(self) -> str:
        return "<error>"


ERROR = ErrorType()

MAYBE_NONE = "; it may be None here: test `if x is not None:` (or `if x is None: return ...`) first"
"""The hint of a message about an optional value used as its value."""

ANNOTATION_NAMES: Mapping[str, Type] = MappingProxyType(
    {
        "int": Int,
        "float": Float,
        "str": Str,
        "bool": Bool,
        "None": NoneT,
        "ImagePatch": Patch,
        "Patch": Patch,
        "Image": Image,
    }
)


def is_error(t: Type) -> bool:
    """Whether ``t`` is (or contains) the poison type."""
    if isinstance(t, ListType):
        return is_error(t.element)
    return t is ERROR or isinstance(t, ErrorType)


def pending_key(t: Type) -> HintKey | None:
    """The key of the empty list ``t`` stands for, if ``t`` is ``List[?]`` (at any depth)."""
    if isinstance(t, PendingType):
        return t.key
    if isinstance(t, ListType):
        return pending_key(t.element)
    return None


def is_concrete(t: Type) -> bool:
    """Whether ``t`` holds no placeholder."""
    return pending_key(t) is None and not is_error(t)


def is_float_target(got: Type, want: Type) -> bool:
    """Whether ``got`` converts implicitly to ``want`` (Int/Bool -> Float)."""
    return want == Float and got in (Int, Bool)


def join(a: Type, b: Type) -> Type | None:
    """The common type of two values that meet (branches, list elements), or ``None``.

    Equal types join to themselves, Int/Bool with Float join to Float, a pending empty list
    joins to the other list type, and ``None`` with ``T`` (or ``Optional[T]``) joins to
    ``Optional[T]``.
    """
    if a == b:
        return a
    if NoneT in (a, b):
        other = b if a == NoneT else a
        return None if is_error(other) else Optional(other)
    if isinstance(a, OptionalType) or isinstance(b, OptionalType):
        inner = join(unwrap_optional(a), unwrap_optional(b))
        return None if inner is None else Optional(inner)
    if is_float_target(a, b):
        return b
    if is_float_target(b, a):
        return a
    if isinstance(a, ListType) and isinstance(b, ListType):
        return _join_lists(a, b)
    return None


def converts(got: Type, want: Type) -> bool:
    """Whether a ``got`` value is accepted where a ``want`` is expected without a message:
    ``Int``/``Bool`` as ``Float``, and ``T`` (or a conversion of it) or ``None`` as
    ``Optional[T]``."""
    if got == want or is_float_target(got, want):
        return True
    if isinstance(want, OptionalType):
        return got == NoneT or converts(got, want.inner)
    return False


def _join_lists(a: ListType, b: ListType) -> Type | None:
    if isinstance(a.element, PendingType):
        return b
    if isinstance(b.element, PendingType):
        return a
    if isinstance(a.element, ListType) and isinstance(b.element, ListType):
        inner = _join_lists(a.element, b.element)
        return ListType(inner) if inner is not None else None
    return None


def conversion_steps(got: Type, want: Type) -> list[Type]:
    """The types of the ``fmpc.cast`` s that turn a ``got`` into a ``want`` (see
    :func:`converts`), in order; empty when none is needed or possible."""
    if got == want:
        return []
    if isinstance(want, OptionalType):
        if got == NoneT:
            return [want]
        inner = conversion_steps(got, want.inner)
        return [*inner, want] if inner or got == want.inner else []
    return [Float] if is_float_target(got, want) else []


def describe(t: Type) -> str:
    """A type as Python programmers spell it, for messages."""
    names = {
        Int: "int",
        Float: "float",
        Str: "str",
        Bool: "bool",
        NoneT: "None",
        Patch: "ImagePatch",
    }
    if isinstance(t, ListType):
        return f"list[{describe(t.element)}]"
    if isinstance(t, OptionalType):
        return f"{describe(t.inner)} | None"
    if t in names:
        return names[t]
    return str(t)


def annotation_type(node: ast.expr) -> Type | str:
    """The type an annotation names, or an error message saying what is allowed."""
    if isinstance(node, ast.Constant) and node.value is None:
        return NoneT
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            parsed = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return f"cannot read the annotation {node.value!r}"
        return annotation_type(parsed)
    if isinstance(node, ast.Name) and node.id in ANNOTATION_NAMES:
        return ANNOTATION_NAMES[node.id]
    if isinstance(node, ast.Name) and node.id in ("list", "List", "Optional"):
        return f"give the type inside, e.g. `{node.id}[str]`"
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        if node.value.id in ("list", "List"):
            inner = annotation_type(node.slice)
            return ListType(inner) if isinstance(inner, Type) else inner
        if node.value.id == "Optional":
            inner = annotation_type(node.slice)
            return Optional(inner) if isinstance(inner, Type) else inner
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union_annotation(node)
    return (
        "unsupported type annotation; use int, float, str, bool, None, ImagePatch, Image, "
        "list[...] or Optional[...] (`T | None`) of these"
    )


def _union_annotation(node: ast.BinOp) -> Type | str:
    """``T | None`` (either way round); other unions have no IR type."""
    left, right = annotation_type(node.left), annotation_type(node.right)
    for t in (left, right):
        if isinstance(t, str):
            return t
    assert isinstance(left, Type) and isinstance(right, Type)
    if NoneT not in (left, right) or left == right:
        return "unions are only supported with None: `T | None` (or Optional[T])"
    return Optional(right if left == NoneT else left)
