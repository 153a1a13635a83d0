"""Input sources for streams: a directory of images, a JSONL file, a world's scenes.

Each source is a sized iterable of ``InputItem`` read lazily, one input at a time. An input that
cannot be read (a corrupt image, a bad JSONL line) is an item with ``error`` set and no image,
so that a stream reports it and carries on::

    for item in open_inputs("photos/"):      # PNG/JPEG files, sorted by name
        item.input_id, item.image, item.error
    open_inputs("stream.jsonl")              # {"image": "a.png", "label": "yes"} per line
    world_inputs(module, 100, world="digits", seed=0)   # generated scenes, labelled

Files are read by the runtime itself. Worlds (generators of labelled inputs) are plugins: an
entry point of group ``fmpc.input_sources`` names a ``WorldSource`` (fmpc's embedded world
registers ``digits``), and ``input_sources()`` finds them.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from fmpc.frontend.literals import LiteralCheck
from fmpc.ir.core import Module
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


def open_inputs(path: str | Path) -> InputSource:
    """A directory of PNG/JPEG images (sorted by name), a JSONL file of
    ``{"image": PATH, "label": ..., "id": ...}`` objects (``label`` and ``id`` optional; relative
    image paths are relative to the file) or a single image file."""
    path = Path(path)
    if path.is_dir():
        return directory_inputs(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or directory")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return InputSource(str(path), 1, lambda: iter([read_item(path, path.name)]))
    return jsonl_inputs(path)


def directory_inputs(directory: str | Path) -> InputSource:
    """Every PNG/JPEG file directly in ``directory``, sorted by name; ids are the file names."""
    directory = Path(directory)
    try:
        files = sorted(
            p for p in directory.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
        )
    except OSError as exc:
        raise InputError(f"{directory}: cannot list ({exc.strerror or exc})") from None
    if not files:
        kinds = ", ".join(IMAGE_SUFFIXES)
        raise InputError(f"{directory}: no images ({kinds}) in this directory")
    return InputSource(str(directory), len(files), lambda: (read_item(p, p.name) for p in files))


def jsonl_inputs(path: str | Path) -> InputSource:
    """One input per non-empty line of the JSONL file ``path`` (see ``open_inputs``)."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc})") from None
    numbered = [(i + 1, line) for i, line in enumerate(lines) if line.strip()]
    if not numbered:
        raise InputError(f"{path}: no inputs (expected one JSON object per line)")

    def items() -> Iterator[InputItem]:
        for number, line in numbered:
            yield _jsonl_item(path, number, line)

    return InputSource(str(path), len(numbered), items)


def _jsonl_item(path: Path, number: int, line: str) -> InputItem:
    where = f"{path}:{number}"
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return InputItem(where, None, error=f"{where}: not JSON ({exc.msg} at column {exc.colno})")
    if not isinstance(data, dict) or not isinstance(data.get("image"), str):
        return InputItem(where, None, error=f'{where}: expected an object with an "image" path')
    unknown = sorted(set(data) - {"image", "label", "id"})
    if unknown:
        return InputItem(
            where,
            None,
            error=f"{where}: unknown key(s) {', '.join(unknown)} (expected image, label, id)",
        )
    image_path = Path(data["image"])
    if not image_path.is_absolute():
        image_path = path.parent / image_path
    item = read_item(image_path, str(data.get("id") or data["image"]))
    if "label" in data:
        return InputItem(item.input_id, item.image, data["label"], labelled=True, error=item.error)
    return item


def read_item(path: Path, input_id: str) -> InputItem:
    """The image file ``path`` as an input (``error`` naming the file when it cannot be read)."""
    try:
        return InputItem(input_id, read_image(path, input_id))
    except (OSError, ValueError) as exc:
        return InputItem(input_id, None, error=f"{path}: cannot read the image ({exc})")


def read_image(path: Path, input_id: str) -> ImageValue:
    """An image file as an ``ImageValue``: RGB, float32 in [0, 1], read-only pixels."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            pixels = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    except UnidentifiedImageError:
        raise ValueError("not a PNG or JPEG image") from None
    pixels.flags.writeable = False
    return ImageValue(pixels, id=input_id)
