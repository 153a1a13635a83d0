"""The IR's type system: every SSA value has exactly one of these immutable types."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Type:
    """Base of all IR types. Types are immutable and compared structurally."""

    def __str__(self) -> str:
        return type(self).__name__.removesuffix("Type")


@dataclass(frozen=True)
class ImageType(Type):
    """A whole input image."""


@dataclass(frozen=True)
class PatchType(Type):
    """A rectangular region of an image, with its box (left, lower, right, upper)."""


@dataclass(frozen=True)
class BoolType(Type):
    """A Python ``bool``."""


@dataclass(frozen=True)
class IntType(Type):
    """A Python ``int``."""


@dataclass(frozen=True)
class FloatType(Type):
    """A Python ``float``."""


@dataclass(frozen=True)
class StrType(Type):
    """A Python ``str``."""


@dataclass(frozen=True)
class NoneType(Type):
    """The type of ``None``."""


@dataclass(frozen=True)
class ListType(Type):
    """A homogeneous list ``List[element]``."""

    element: Type

    def __str__(self) -> str:
        return f"List[{self.element}]"


@dataclass(frozen=True)
class OptionalType(Type):
    """A value of type ``inner`` or ``None`` (``Optional[inner]``), e.g. the answer of a
    function that can reach its end without a ``return``. ``inner`` is never ``None`` or itself
    optional: build these with :func:`Optional`, which flattens."""

    inner: Type

    def __str__(self) -> str:
        return f"Optional[{self.inner}]"


Image = ImageType()
Patch = PatchType()
Bool = BoolType()
Int = IntType()
Float = FloatType()
Str = StrType()
NoneT = NoneType()

SCALARS: dict[str, Type] = {
    "Image": Image,
    "Patch": Patch,
    "Bool": Bool,
    "Int": Int,
    "Float": Float,
    "Str": Str,
    "None": NoneT,
}


def List(element: Type) -> ListType:  # noqa: N802 - reads like the type it builds
    """Build ``List[element]``."""
    return ListType(element)


def Optional(inner: Type) -> Type:  # noqa: N802 - reads like the type it builds
    """``Optional[inner]``; ``Optional(None)`` is ``None`` and ``Optional(Optional(T))`` is
    ``Optional(T)``."""
    if inner == NoneT or isinstance(inner, OptionalType):
        return inner
    return OptionalType(inner)


def unwrap_optional(t: Type) -> Type:
    """``T`` for ``Optional[T]``; any other type unchanged."""
    return t.inner if isinstance(t, OptionalType) else t


def is_numeric(t: Type) -> bool:
    """Whether ``t`` takes part in arithmetic (``Bool`` counts, as in Python)."""
    return t in (Int, Float, Bool)


def parse_type(text: str) -> Type:
    """Parse the printed form of a type, e.g. ``List[Patch]`` or ``Optional[Str]``.

    Raises ``ValueError`` on malformed text (including ``Optional[None]`` and nested optionals,
    which have no printed form of their own).
    """
    text = text.strip()
    if text in SCALARS:
        return SCALARS[text]
    if text.startswith("List[") and text.endswith("]"):
        return List(parse_type(text[5:-1]))
    if text.startswith("Optional[") and text.endswith("]"):
        inner = parse_type(text[9:-1])
        if inner == NoneT or isinstance(inner, OptionalType):
            raise ValueError(f"{text!r} is not a type; write {Optional(inner)}")
        return OptionalType(inner)
    raise ValueError(f"unknown type {text!r}")
