"""The declarative table of library functions a program may call.

Each entry names a function, its typed parameters, its result type, whether it is **routable**
(a generic neural function served by a choosable backend, lowered to ``fmpc.call``) or a
deterministic helper (lowered to ``fmpc.lib``), and how it is spelled in the ImagePatch method
style. Users extend the table without touching the frontend::

    lib = DEFAULT_LIBRARY.extend(LibraryFunction("count_cars", (("patch", Patch),), Int))
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from fmpc.ir.types import Bool, Float, Image, Int, List, Patch, Str, Type

Constant = int | float | str | bool | None
"""A compile-time constant: a parameter default or an option value."""


@dataclass(frozen=True)
class CallOption:
    """A keyword argument that is not passed to the backend but fixes how the call is made.

    Its value must be a literal of ``type`` (default ``default``). By default it is recorded on
    the call op as the attribute ``name`` when given (``llm_query(q, long_answer=False)`` ->
    ``{long_answer = false}``); the frontend gives a few built-in options their own lowering
    (``best_image_match(..., return_index=True)``, ``best_text_match(..., prefix=...)``).
    Options may also be passed positionally, after the parameters.
    """

    name: str
    type: Type
    default: Constant = None
    doc: str = ""


@dataclass(frozen=True)
class LibraryFunction:
    """One callable of the program API.

    ``method``: callable as ``patch.name(...)`` with the patch as first argument.
    ``attribute``: read as ``patch.name`` (box attributes), never called.
    ``function``: callable as ``name(...)`` in the plain function style.
    ``ignores_receiver``: also callable as ``patch.name(...)`` with the patch unused (ViperGPT
    spells ``llm_query`` both ways).
    ``defaults``: ``(parameter, literal)`` for parameters that may be left out
    (``simple_query()`` asks ``"What is this?"``).
    ``aliases``: ``(keyword, parameter)``: other keyword names of a parameter (ViperGPT's
    ``visual_property=`` for ``property``).
    ``options``: keyword arguments beyond the parameters (see ``CallOption``).
    """

    name: str
    params: tuple[tuple[str, Type], ...]
    result: Type
    routable: bool = True
    method: bool = True
    function: bool = True
    attribute: bool = False
    ignores_receiver: bool = False
    doc: str = ""
    defaults: tuple[tuple[str, Constant], ...] = ()
    aliases: tuple[tuple[str, str], ...] = ()
    options: tuple[CallOption, ...] = ()

    @property
    def param_types(self) -> tuple[Type, ...]:
        return tuple(t for _, t in self.params)

    @property
    def callable(self) -> bool:
        """Whether a program can call it (in either style)."""
        return not self.attribute and (self.function or self.method or self.ignores_receiver)

    def default(self, param: str) -> tuple[bool, Constant]:
        """``(True, value)`` when ``param`` has a default, else ``(False, None)``."""
        for name, value in self.defaults:
            if name == param:
                return True, value
        return False, None

    def keyword(self, keyword: str) -> str:
        """The parameter (or option) a keyword argument names: itself, or what it aliases."""
        return dict(self.aliases).get(keyword, keyword)


@dataclass(frozen=True)
class Library(Mapping[str, LibraryFunction]):
    """An immutable table of library functions, keyed by name."""

    functions: tuple[LibraryFunction, ...]

    def __getitem__(self, name: str) -> LibraryFunction:
        for f in self.functions:
            if f.name == name:
                return f
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return (f.name for f in self.functions)

    def __len__(self) -> int:
        return len(self.functions)

    def extend(self, *functions: LibraryFunction) -> Library:
        """A new library with ``functions`` added (replacing same-named entries)."""
        names = {f.name for f in functions}
        kept = tuple(f for f in self.functions if f.name not in names)
        return Library(kept + tuple(functions))


def _fn(
    name: str, params: tuple[tuple[str, Type], ...], result: Type, doc: str, **kw: Any
) -> LibraryFunction:
    return LibraryFunction(name, params, result, doc=doc, **kw)


_P = ("patch", Patch)
_BOX = (("left", Float), ("lower", Float), ("right", Float), ("upper", Float))

_ROUTABLE = (
    _fn(
        "find",
        (_P, ("object_name", Str)),
        List(Patch),
        "Patches containing objects called object_name.",
    ),
    _fn(
        "exists",
        (_P, ("object_name", Str)),
        Bool,
        "Whether an object called object_name is in the patch.",
    ),
    _fn(
        "verify_property",
        (_P, ("object_name", Str), ("property", Str)),
        Bool,
        "Whether the object in the patch has the property (a colour, a size, a digit, ...).",
        aliases=(("visual_property", "property"), ("attribute", "property")),
    ),
    _fn(
        "best_text_match",
        (_P, ("options", List(Str))),
        Str,
        "The option that best describes the patch.",
        aliases=(("option_list", "options"),),
        options=(
            CallOption(
                "prefix", Str, None, "matched as 'prefix option'; the option itself is returned"
            ),
        ),
    ),
    _fn(
        "simple_query",
        (_P, ("question", Str)),
        Str,
        "Answer a simple question about the patch (by default 'What is this?').",
        defaults=(("question", "What is this?"),),
    ),
    _fn("query", (_P, ("question", Str)), Str, "Answer a question about the patch."),
    _fn("compute_depth", (_P,), Float, "Median depth of the patch (larger is farther)."),
    _fn(
        "llm_query",
        (("question", Str),),
        Str,
        "Answer a text-only question with a language model.",
        method=False,
        ignores_receiver=True,
        options=(
            CallOption("long_answer", Bool, None, "recorded on the call: a long-form answer"),
        ),
    ),
    _fn(
        "best_image_match",
        (("patches", List(Patch)), ("content", List(Str))),
        Patch,
        "The patch that best matches the content.",
        method=False,
        aliases=(("list_patches", "patches"),),
        options=(CallOption("return_index", Bool, False, "the index of the patch instead"),),
    ),
)

_HELPERS = (
    _fn(
        "image_patch",
        (("image", Image),),
        Patch,
        "The patch covering a whole image (ImagePatch(image)).",
        routable=False,
        method=False,
    ),
    _fn(
        "crop",
        (_P, *_BOX),
        Patch,
        "A sub-patch by box (left, lower, right, upper), relative to the patch.",
        routable=False,
    ),
    _fn("overlaps_with", (_P, *_BOX), Bool, "Whether the patch overlaps the box.", routable=False),
    _fn(
        "distance",
        (_P, ("other", Patch)),
        Float,
        "Distance between the two patches' boxes (0 if they touch); of two numbers, abs(a - b).",
        routable=False,
        aliases=(("patch_a", "patch"), ("patch_b", "other")),
    ),
    _fn(
        "bool_to_yesno",
        (("value", Bool),),
        Str,
        "'yes' or 'no'.",
        routable=False,
        method=False,
        aliases=(("bool_answer", "value"),),
    ),
    _fn(
        "coerce_to_numeric",
        (("text", Str),),
        Float,
        "The first number in the text.",
        routable=False,
        method=False,
        aliases=(("string", "text"),),
    ),
    _fn(
        "index_of",
        (("patches", List(Patch)), ("item", Patch)),
        Int,
        "The position of the first patch equal to item (best_image_match's return_index).",
        routable=False,
        method=False,
        function=False,
    ),
)

_BOX_ATTRIBUTES = tuple(
    _fn(
        name,
        (_P,),
        t,
        f"The patch's {name.replace('_', ' ')}.",
        routable=False,
        method=False,
        function=False,
        attribute=True,
    )
    for name, t in (
        ("left", Int),
        ("right", Int),
        ("lower", Int),
        ("upper", Int),
        ("width", Int),
        ("height", Int),
        ("horizontal_center", Float),
        ("vertical_center", Float),
    )
)

DEFAULT_LIBRARY = Library(_ROUTABLE + _HELPERS + _BOX_ATTRIBUTES)
"""The generic functions and helpers of visual programs (ViperGPT / the paper's API)."""
