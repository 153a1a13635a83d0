"""Backends: the models (or functions) that serve generic functions at routable call sites.

``Backend`` is the protocol the executor calls; ``JaxBackend``, ``HttpBackend`` and
``CallableBackend`` adapt a Flax/jax model, an OpenAI-compatible server and a Python function;
``BackendTable`` holds the backends of every function; ``build_backends`` / ``load_backends`` make
one from a config file (``fmpc.runtime.config``) with the factories of the registered backend
types (``backend_types()``: the built-ins and installed plugins). See ``docs/backends.md``.

Names are imported on first access, so ``fmpc backends check`` does not load JAX.
"""

from __future__ import annotations

from fmpc._lazy import lazy_exports

_EXPORTS = {
    "Args": "fmpc.runtime.backends.base",
    "Backend": "fmpc.runtime.backends.base",
    "BackendFailure": "fmpc.runtime.backends.base",
    "BackendResponseError": "fmpc.runtime.backends.base",
    "BackendResult": "fmpc.runtime.backends.base",
    "BackendTimeout": "fmpc.runtime.backends.base",
    "BackendUnavailable": "fmpc.runtime.backends.base",
    "call_batch": "fmpc.runtime.backends.base",
    "BUILTIN_BACKEND_TYPES": "fmpc.runtime.backends.build",
    "BackendFactory": "fmpc.runtime.backends.build",
    "FactoryError": "fmpc.runtime.backends.build",
    "backend_types": "fmpc.runtime.backends.build",
    "discover_backend_types": "fmpc.runtime.backends.build",
    "build_backends": "fmpc.runtime.backends.build",
    "import_target": "fmpc.runtime.backends.build",
    "load_backends": "fmpc.runtime.backends.build",
    "CallableBackend": "fmpc.runtime.backends.callable",
    "HttpBackend": "fmpc.runtime.backends.http",
    "DEFAULT_BATCH_BUCKETS": "fmpc.runtime.backends.jax",
    "JaxBackend": "fmpc.runtime.backends.jax",
    "DEFAULT_PROMPTS": "fmpc.runtime.backends.prompts",
    "PromptFormat": "fmpc.runtime.backends.prompts",
    "BackendTable": "fmpc.runtime.backends.table",
}

__all__ = sorted(_EXPORTS)


__getattr__ = lazy_exports(__name__, _EXPORTS)
