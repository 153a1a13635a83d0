"""The model zoo: Flax models for the embedded world at several sizes, served as backends.

``zoo_backends()`` maps each generic function to its backends, cheapest first (weights load on
first use); ``monolithic_backend()`` is the whole-image question-answering model; ``ZOO`` lists
the models; ``zoo_table()`` is the default backend table with the manifest's FLOPs, and
``type: zoo`` backend config entries are built by the backend type ``fmpc.zoo.plugin``
registers. ``fmpc zoo train`` / ``fmpc zoo list`` retrain and list them (``fmpc.cli.zoo``).
See docs/zoo.md. Names are imported on first access, so ``fmpc zoo list`` does not load JAX.
"""

from __future__ import annotations

from fmpc._lazy import lazy_exports

_EXPORTS = {
    "BackendSpec": "fmpc.zoo.backends",
    "LazyBackend": "fmpc.zoo.backends",
    "backend_specs": "fmpc.zoo.backends",
    "monolithic_backend": "fmpc.zoo.backends",
    "zoo_backends": "fmpc.zoo.backends",
    "ZOO": "fmpc.zoo.specs",
    "ModelSpec": "fmpc.zoo.specs",
    "WEIGHTS_DIR": "fmpc.zoo.store",
    "MissingWeights": "fmpc.zoo.store",
    "ZOO_BACKEND_TYPE": "fmpc.zoo.plugin",
    "ZooUnavailable": "fmpc.zoo.plugin",
    "zoo_table": "fmpc.zoo.plugin",
}

__all__ = sorted(_EXPORTS)


__getattr__ = lazy_exports(__name__, _EXPORTS)
