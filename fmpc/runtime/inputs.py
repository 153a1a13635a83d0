"""Input sources for streams: a directory of images, a JSONL file, a world's scenes.

Each source is a sized iterable of ``InputItem`` read lazily, one input at a time. An input that
cannot be read (a corrupt or oversized image, a dangling link, a bad JSONL line, a label that
cannot be the program's answer) is an item with ``error`` set and no image, so that a stream
reports it and carries on. Ids are made ``printable`` where they are read (file names that are
not UTF-8 become backslash escapes)::

    for item in open_inputs("photos/"):      # PNG/JPEG files, sorted by name
        item.input_id, item.image, item.error
    open_inputs("stream.jsonl", module=m)    # {"image": "a.png", "label": "yes"} per line
    world_inputs(module, 100, world="digits", seed=0)   # generated scenes, labelled

Files are read by the runtime itself. Worlds (generators of labelled inputs) are plugins: an
entry point of group ``fmpc.input_sources`` names a ``WorldSource`` (fmpc's embedded world
registers ``digits``), and ``input_sources()`` finds them.
"""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

from fmpc.frontend.literals import LiteralCheck
from fmpc.ir.core import Module
from fmpc.ir.types import Bool, Float, Int, ListType, Str, Type
from fmpc.runtime.image_files import (
    MAX_IMAGE_PIXELS,
    ImageFileError,
    file_id,
    printable,
    read_image,
)
from fmpc.runtime.registry import Registry, discover
from fmpc.semantics.values import ImageValue

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
"""The image files a directory source reads (any case)."""

INPUT_SOURCES_GROUP = "fmpc.input_sources"
"""The entry-point group of worlds: ``name = "package.module:world_source"``."""


class InputError(ValueError):
    """An input source cannot be opened at all (missing path, empty directory, unknown world)."""


@dataclass(frozen=True)
class InputItem:
    """One input of a stream: its id, its image (``None`` when it could not be read, ``error``
    says why) and its label when ``labelled``."""

    input_id: str
    image: ImageValue | None
    label: Any = None
    labelled: bool = False
    error: str | None = None


class InputSource:
    """A sized, re-iterable stream of ``InputItem``; ``description`` names it in messages."""

    def __init__(
        self, description: str, size: int, items: Callable[[], Iterator[InputItem]]
    ) -> None:
        self.description = description
        self._size = size
        self._items = items

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[InputItem]:
        return self._items()

    def __repr__(self) -> str:
        return f"InputSource({self.description!r}, {self._size} inputs)"


# ---------------------------------------------------------------- worlds


class WorldSource(Protocol):
    """A world: ``source(module, n, seed=)`` is ``n`` generated inputs, the same for the same
    seed; with ``module``, each labelled with the program's true answer where the world knows it
    (an input it cannot label is unlabelled).

    A world with a fixed vocabulary may also have a ``check_literal`` attribute, a
    ``LiteralCheck`` (``check(function, argument_index, literal) -> warning or None``): compiling
    for the world (``fmpc compile --world NAME``, ``fmpc run --world NAME``) warns about literal
    arguments it does not know (see :func:`world_literal_check`).
    """

    def __call__(self, module: Module | None, n: int, *, seed: int) -> InputSource: ...


@functools.cache
def input_sources() -> Registry[WorldSource]:
    """The installed worlds (entry points of group ``fmpc.input_sources``), discovered once per
    process; a world loads when it is first asked for, and ``PluginError`` names a broken one."""
    return discover_input_sources()


def discover_input_sources(
    entry_points: Iterable[metadata.EntryPoint] | None = None,
) -> Registry[WorldSource]:
    """The worlds of ``entry_points`` (default: the installed ones)."""
    return Registry("world", plugins=discover(INPUT_SOURCES_GROUP, (), _check_world, entry_points))


def _check_world(name: str, loaded: Any) -> WorldSource:
    if not callable(loaded):
        raise ValueError(f"expected a callable world source, got {type(loaded).__name__}")
    return loaded  # type: ignore[no-any-return]


def world_inputs(
    module: Module | None,
    n: int,
    *,
    world: str,
    seed: int = 0,
    sources: Registry[WorldSource] | None = None,
) -> InputSource:
    """``n`` inputs of the world called ``world`` in ``sources`` (default: ``input_sources()``),
    labelled by running ``module`` as the world says (see ``WorldSource``)."""
    known = input_sources() if sources is None else sources
    if world not in known:
        raise InputError(known.unknown(world))
    if n < 0:
        raise InputError(f"the number of inputs must be >= 0, got {n}")
    if seed < 0:
        raise InputError(f"the seed must be >= 0, got {seed}")
    return known[world](module, n, seed=seed)


def world_literal_check(
    world: str, sources: Registry[WorldSource] | None = None
) -> LiteralCheck | None:
    """The vocabulary check of the world called ``world`` in ``sources`` (default:
    ``input_sources()``): its ``check_literal``, or ``None`` when it declares no vocabulary.
    ``InputError`` when there is no such world."""
    known = input_sources() if sources is None else sources
    if world not in known:
        raise InputError(known.unknown(world))
    check: LiteralCheck | None = getattr(known[world], "check_literal", None)
    return check


# ---------------------------------------------------------------- files


def open_inputs(
    path: str | Path, *, module: Module | None = None, max_pixels: int = MAX_IMAGE_PIXELS
) -> InputSource:
    """A directory of PNG/JPEG images (sorted by name), a JSONL file of
    ``{"image": PATH, "label": ..., "id": ...}`` objects (``label`` and ``id`` optional; relative
    image paths are relative to the file) or a single image file.

    An image of more than ``max_pixels`` pixels is a per-input error (checked before decoding).
    With ``module``, a label that cannot be the program's answer (``label_problem``) is a
    per-input error naming its line, so that it is neither scored nor learned from.
    """
    path = Path(path)
    if path.is_dir():
        return directory_inputs(path, max_pixels=max_pixels)
    if not path.exists():
        raise InputError(f"{printable(str(path))}: no such file or directory")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return InputSource(
            printable(str(path)), 1, lambda: iter([read_item(path, file_id(path), max_pixels)])
        )
    result_type = module.entry.attributes.get("result_type") if module is not None else None
    return jsonl_inputs(
        path,
        result_type=result_type if isinstance(result_type, Type) else None,
        max_pixels=max_pixels,
    )


def directory_inputs(directory: str | Path, *, max_pixels: int = MAX_IMAGE_PIXELS) -> InputSource:
    """Every PNG/JPEG file directly in ``directory``, sorted by name; ids are the file names
    (``printable``). A symbolic link to nothing is a per-input error, not skipped."""
    directory = Path(directory)
    where = printable(str(directory))
    try:
        files = sorted(p for p in directory.iterdir() if _listed(p))
    except OSError as exc:
        raise InputError(f"{where}: cannot list ({exc.strerror or exc})") from None
    if not files:
        kinds = ", ".join(IMAGE_SUFFIXES)
        raise InputError(f"{where}: no images ({kinds}) in this directory")
    return InputSource(
        where, len(files), lambda: (read_item(p, file_id(p), max_pixels) for p in files)
    )


def _listed(path: Path) -> bool:
    """An image file, or a link named like one whose target is missing (reported, not read)."""
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        return False
    return path.is_file() or (path.is_symlink() and not path.exists())


def jsonl_inputs(
    path: str | Path, *, result_type: Type | None = None, max_pixels: int = MAX_IMAGE_PIXELS
) -> InputSource:
    """One input per non-empty line of the JSONL file ``path`` (see ``open_inputs``); labels
    are checked against ``result_type`` when given. A UTF-8 byte order mark is allowed."""
    path = Path(path)
    where = printable(str(path))
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"{where}: cannot read ({getattr(exc, 'strerror', None) or exc})"
        ) from None
    numbered = [(i + 1, line) for i, line in enumerate(lines) if line.strip()]
    if not numbered:
        raise InputError(f"{where}: no inputs (expected one JSON object per line)")
    reader = _JsonlReader(path, result_type, max_pixels)
    return InputSource(where, len(numbered), lambda: (reader.item(n, line) for n, line in numbered))


@dataclass(frozen=True)
class _JsonlReader:
    path: Path
    result_type: Type | None
    max_pixels: int

    def item(self, number: int, line: str) -> InputItem:
        where = f"{printable(str(self.path))}:{number}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            return _failed(where, f"not JSON ({exc.msg} at column {exc.colno})")
        except RecursionError:
            return _failed(where, "JSON nested too deeply")
        problem = _line_problem(data)
        if problem is not None:
            return _failed(where, problem)
        image_path = Path(data["image"])
        if not image_path.is_absolute():
            image_path = self.path.parent / image_path
        input_id = printable(str(data.get("id") or data["image"]))
        item = read_item(image_path, input_id, self.max_pixels)
        label = data.get("label")
        if label is None:  # no label, or null: the input is answered, not scored
            return item
        mismatch = label_problem(label, self.result_type)
        if mismatch is not None:
            return InputItem(input_id, None, error=f"{where}: {mismatch}")
        return InputItem(item.input_id, item.image, label, labelled=True, error=item.error)


def _failed(where: str, reason: str) -> InputItem:
    return InputItem(where, None, error=f"{where}: {reason}")


def _line_problem(data: Any) -> str | None:
    if not isinstance(data, dict) or not isinstance(data.get("image"), str):
        return 'expected an object with an "image" path'
    unknown = sorted(set(data) - {"image", "label", "id"})
    if unknown:
        return f"unknown key(s) {', '.join(map(printable, unknown))} (expected image, label, id)"
    if "\0" in data["image"]:
        return "the image path contains a NUL character"
    given = data.get("id")
    if given is not None and (isinstance(given, bool) or not isinstance(given, str | int)):
        return f'"id" must be a string or an integer, got {_kind(given)}'
    return None


def label_problem(label: Any, result_type: Type | None) -> str | None:
    """Why ``label`` cannot be compared with the program's answers, or ``None`` when it can.

    A label is a string, a boolean, a finite number or a list of those; with ``result_type``
    (the program's), it must fit it: ``Bool`` takes a boolean or ``"yes"``/``"no"``, ``Str`` a
    string or a boolean, ``Int``/``Float`` a finite number, ``List[T]`` a list of labels of ``T``.
    """
    shape = _label_shape(label)
    if shape is not None:
        return f"the label {_short(label)} is {shape}, not a string, number or boolean"
    if result_type is None or _label_fits(label, result_type):
        return None
    return f"the label {_short(label)} does not fit the program's answers ({result_type})"


def _label_shape(label: Any) -> str | None:
    if isinstance(label, list):
        return next((s for s in map(_label_shape, label) if s is not None), None)
    if isinstance(label, float) and not math.isfinite(label):
        return "not a finite number"
    if label is None:
        return "null inside a list"
    if not isinstance(label, bool | int | float | str):
        return _kind(label)
    return None


def _label_fits(label: Any, t: Type) -> bool:
    if isinstance(t, ListType):
        return isinstance(label, list) and all(_label_fits(x, t.element) for x in label)
    if t == Bool:
        return isinstance(label, bool) or (
            isinstance(label, str) and label.strip().lower() in ("yes", "no")
        )
    if t == Str:
        return isinstance(label, str | bool)
    if t in (Int, Float):
        return isinstance(label, int | float) and not isinstance(label, bool)
    return True


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", bool: "a boolean", type(None): "null"}
    return names.get(type(value), f"a {type(value).__name__}")


def _short(value: Any) -> str:
    text = printable(json.dumps(value, allow_nan=True))
    return text if len(text) <= 60 else text[:57] + "..."


def read_item(path: Path, input_id: str, max_pixels: int = MAX_IMAGE_PIXELS) -> InputItem:
    """The image file ``path`` as an input (``error`` naming the file when it cannot be read)."""
    where = printable(str(path))
    if path.is_symlink() and not path.exists():
        target = printable(os.fsdecode(os.readlink(path)))
        return InputItem(
            input_id, None, error=f"{where}: a symbolic link to {target}, which does not exist"
        )
    try:
        return InputItem(input_id, read_image(path, input_id, max_pixels=max_pixels))
    except ImageFileError as exc:
        return InputItem(input_id, None, error=f"{where}: cannot read the image ({exc})")
