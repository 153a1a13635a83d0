"""Input sources for streams: the embedded world, a directory of images, a JSONL file.

Each source is a sized iterable of ``InputItem`` read lazily, one input at a time. An input that
cannot be read (a corrupt image, a bad JSONL line) is an item with ``error`` set and no image,
so that a stream reports it and carries on::

    for item in open_inputs("photos/"):      # PNG/JPEG files, sorted by name
        item.input_id, item.image, item.error
    world_inputs(module, 100, seed=0)        # scenes of the embedded world, labelled by running
                                             # the program with perfect perception
    open_inputs("stream.jsonl")              # {"image": "a.png", "label": "yes"} per line
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fmpc.ir.core import Module
from fmpc.semantics.values import ImageValue

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
"""The image files a directory source reads (any case)."""

WORLDS = ("digits",)
"""The embedded worlds ``world_inputs`` knows."""


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


# ---------------------------------------------------------------- the embedded world


def world_inputs(
    module: Module | None, n: int, *, seed: int = 0, world: str = "digits"
) -> InputSource:
    """``n`` scenes of the embedded world (``SceneGenerator(seed)``, images ``0 .. n-1``).

    With ``module``, each input's label is the program's answer under perfect perception
    (``fmpc.worlds.perfect_backends()`` through the reference interpreter, on the same scene);
    an input whose perfect run fails is unlabelled.
    """
    if world not in WORLDS:
        raise InputError(f"unknown world {world!r} (known: {', '.join(WORLDS)})")
    if n < 0:
        raise InputError(f"the number of inputs must be >= 0, got {n}")
    if seed < 0:
        raise InputError(f"the seed must be >= 0, got {seed}")

    def items() -> Iterator[InputItem]:
        from fmpc.semantics.errors import ProgramError
        from fmpc.semantics.interpreter import Interpreter
        from fmpc.worlds import SceneGenerator, perfect_backends

        generator = SceneGenerator(seed=seed, name=world)
        labeller = Interpreter(module, perfect_backends()) if module is not None else None
        for i in range(n):
            image = generator.image(i)
            if labeller is None:
                yield InputItem(image.id, image)
                continue
            try:
                label = labeller.run(image)
            except ProgramError:
                yield InputItem(image.id, image)
                continue
            yield InputItem(image.id, image, label, labelled=True)

    return InputSource(f"world {world} (seed {seed})", n, items)


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
