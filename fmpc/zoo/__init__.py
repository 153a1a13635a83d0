"""The model zoo: Flax models for the embedded world at several sizes, served as backends.

``zoo_backends()`` maps each generic function to its backends, cheapest first (weights load on
first use); ``monolithic_backend()`` is the whole-image question-answering model; ``ZOO`` lists
the models; ``fmpc zoo train`` / ``fmpc zoo list`` retrain and list them (``fmpc.zoo.cli``).
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
}

__all__ = sorted(_EXPORTS)


__getattr__ = lazy_exports(__name__, _EXPORTS)
