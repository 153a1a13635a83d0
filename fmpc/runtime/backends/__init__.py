"""Backends: the models (or functions) that serve generic functions at routable call sites.

``Backend`` is the protocol the executor calls; ``JaxBackend``, ``HttpBackend`` and
``CallableBackend`` adapt a Flax/jax model, an OpenAI-compatible server and a Python function;
``BackendTable`` holds the backends of every function; ``build_backends`` / ``load_backends`` make
one from a config file (``fmpc.runtime.config``). See ``docs/backends.md``.
"""

from fmpc.runtime.backends.base import (
    Args,
    Backend,
    BackendFailure,
    BackendResponseError,
    BackendResult,
    BackendTimeout,
    BackendUnavailable,
    call_batch,
)
from fmpc.runtime.backends.build import (
    DEFAULT_FACTORIES,
    BackendFactory,
    build_backends,
    import_target,
    load_backends,
)
from fmpc.runtime.backends.callable import CallableBackend
from fmpc.runtime.backends.http import HttpBackend
from fmpc.runtime.backends.jax import DEFAULT_BATCH_BUCKETS, JaxBackend
from fmpc.runtime.backends.prompts import DEFAULT_PROMPTS, PromptFormat
from fmpc.runtime.backends.table import BackendTable

__all__ = [
    "DEFAULT_BATCH_BUCKETS",
    "DEFAULT_FACTORIES",
    "DEFAULT_PROMPTS",
    "Args",
    "Backend",
    "BackendFactory",
    "BackendFailure",
    "BackendResponseError",
    "BackendResult",
    "BackendTable",
    "BackendTimeout",
    "BackendUnavailable",
    "CallableBackend",
    "HttpBackend",
    "JaxBackend",
    "PromptFormat",
    "build_backends",
    "call_batch",
    "import_target",
    "load_backends",
]
