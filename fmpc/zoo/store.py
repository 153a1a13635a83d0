"""Shipped weights: one msgpack file per model (``flax.serialization``), the tokenizer JSON and
``zoo.json`` (the manifest: training seed, per-model figures and one row per backend with its
measured FLOPs and held-out accuracies), all in ``fmpc/zoo/weights/``.

A model whose spec says ``storage="int8"`` ships its weight matrices (arrays of at least
``INT8_MIN_SIZE`` elements) as int8 with one float32 scale per output column, a quarter of
their float32 size; loading turns them back into float32, so the model's outputs are those of
the stored (quantized) weights, which are the ones the manifest's figures are measured with.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

WEIGHTS_DIR = Path(__file__).parent / "weights"
"""Where the trained zoo ships."""

MANIFEST = "zoo.json"
TOKENIZER = "tokenizer.json"
VQA_TOKENIZER = "vqa-tokenizer.json"
"""The monolithic model's tokenizer (benchmark-grammar words), apart from the text models'."""

INT8_MIN_SIZE = 4096
"""Arrays smaller than this (biases, norms, small kernels) stay float32 under int8 storage."""

_INT8, _SCALE = "__int8__", "__scale__"


class MissingWeights(FileNotFoundError):
    """A zoo model's weights are not in the weights directory (run ``fmpc zoo train``)."""


def weights_path(name: str, directory: Path = WEIGHTS_DIR) -> Path:
    """The msgpack file of model ``name``."""
    return directory / f"{name}.msgpack"


def shared_subtrees(name: str) -> dict[str, str]:
    """Top-level parameter subtrees of model ``name`` that ship in another model's file, by
    key: the monolithic model's frozen vision tower is the largest detector, stored once."""
    from fmpc.zoo.specs import family

    if name in {s.name for s in family("vqa")}:
        return {"tower": family("detector")[-1].name}
    return {}


def save_params(name: str, params: Any, directory: Path = WEIGHTS_DIR) -> None:
    """Write ``params`` of model ``name`` (a pytree of arrays) as msgpack, leaving out the
    subtrees another model's file already holds (``shared_subtrees``)."""
    import jax
    from flax import serialization

    directory.mkdir(parents=True, exist_ok=True)
    state = dict(serialization.to_state_dict(params))
    for key in shared_subtrees(name):
        state.pop(key, None)
    if _storage(name) == "int8":
        state = jax.tree.map(quantize, state)
    weights_path(name, directory).write_bytes(serialization.msgpack_serialize(state))


def load_params(name: str, directory: Path = WEIGHTS_DIR) -> Any:
    """The parameters of model ``name`` as nested dicts of arrays, or ``MissingWeights``."""
    path = weights_path(name, directory)
    if not path.is_file():
        raise MissingWeights(
            f"no weights for zoo model {name!r} at {path.name} in {directory}; "
            f"run `fmpc zoo train --only {name}`"
        )
    from flax import serialization

    params = dict(_dequantized(serialization.msgpack_restore(path.read_bytes())))
    for key, owner in shared_subtrees(name).items():
        params.setdefault(key, load_params(owner, directory))
    return params


def quantize(array: Any) -> Any:
    """``array`` as ``{"__int8__": values, "__scale__": one scale per output column}`` (a
    symmetric int8 code, the last axis being the output); small or non-float arrays as they
    are."""
    a = np.asarray(array)
    if a.size < INT8_MIN_SIZE or a.ndim < 2 or not np.issubdtype(a.dtype, np.floating):
        return array
    a = a.astype(np.float32)
    peak = np.abs(a.reshape(-1, a.shape[-1])).max(axis=0)
    scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    return {_INT8: np.clip(np.rint(a / scale), -127, 127).astype(np.int8), _SCALE: scale}


def _dequantized(tree: Any) -> Any:
    if isinstance(tree, dict):
        if set(tree) == {_INT8, _SCALE}:
            return np.asarray(tree[_INT8], np.float32) * np.asarray(tree[_SCALE], np.float32)
        return {key: _dequantized(value) for key, value in tree.items()}
    return tree


def _storage(name: str) -> str:
    from fmpc.zoo.specs import SPECS

    model = SPECS.get(name)
    return model.storage if model is not None else "float32"


def read_manifest(directory: Path = WEIGHTS_DIR) -> dict[str, Any]:
    """The manifest, or an empty one (``{"models": {}, "backends": []}``) when none was written."""
    path = directory / MANIFEST
    if not path.is_file():
        return {"models": {}, "backends": []}
    return dict(json.loads(path.read_text(encoding="utf-8")))


def write_manifest(manifest: dict[str, Any], directory: Path = WEIGHTS_DIR) -> None:
    """Write the manifest (sorted keys, indented, so that diffs stay readable)."""
    directory.mkdir(parents=True, exist_ok=True)
    text = json.dumps(manifest, indent=1, sort_keys=True)
    (directory / MANIFEST).write_text(text + "\n", encoding="utf-8")
