"""The runtime: the executor that routes every call site through a policy, the policy protocol it
calls, backends and their config, input sources, the registries of backend types and worlds,
traces and the execution cache; it re-exports the reference semantics (``Interpreter``, runtime
values, ``ProgramError``) from ``fmpc.semantics``. See docs/runtime.md.

Names are imported on first access, so importing ``fmpc.runtime`` does not load JAX.
"""

from __future__ import annotations

from fmpc._lazy import lazy_exports
from fmpc.semantics import __all__ as _SEMANTICS

_EXPORTS = {
    **dict.fromkeys(_SEMANTICS, "fmpc.semantics"),
    "Executor": "fmpc.runtime.executor",
    "run_stream": "fmpc.runtime.executor",
    "ExecutionResult": "fmpc.runtime.trace",
    "SiteCall": "fmpc.runtime.trace",
    "Trace": "fmpc.runtime.trace",
    "ExecutionCache": "fmpc.runtime.cache",
    "Policy": "fmpc.runtime.policy",
    "Episode": "fmpc.runtime.policy",
    "SiteInfo": "fmpc.runtime.policy",
    "Feedback": "fmpc.runtime.policy",
    "BackgroundLearner": "fmpc.runtime.policy",
    "Backend": "fmpc.runtime.backends",
    "BackendResult": "fmpc.runtime.backends",
    "BackendFailure": "fmpc.runtime.backends",
    "BackendUnavailable": "fmpc.runtime.backends",
    "BackendTimeout": "fmpc.runtime.backends",
    "BackendResponseError": "fmpc.runtime.backends",
    "BackendTable": "fmpc.runtime.backends",
    "CallableBackend": "fmpc.runtime.backends",
    "JaxBackend": "fmpc.runtime.backends",
    "HttpBackend": "fmpc.runtime.backends",
    "call_batch": "fmpc.runtime.backends",
    "build_backends": "fmpc.runtime.backends",
    "load_backends": "fmpc.runtime.backends",
    "backend_types": "fmpc.runtime.backends",
    "BackendConfig": "fmpc.runtime.config",
    "BackendType": "fmpc.runtime.config",
    "BackendTypes": "fmpc.runtime.config",
    "Spec": "fmpc.runtime.config",
    "InputSource": "fmpc.runtime.inputs",
    "input_sources": "fmpc.runtime.inputs",
    "world_inputs": "fmpc.runtime.inputs",
    "world_literal_check": "fmpc.runtime.inputs",
    "open_inputs": "fmpc.runtime.inputs",
    "PluginError": "fmpc.runtime.registry",
    "Registry": "fmpc.runtime.registry",
    "ConfigError": "fmpc.runtime.config",
    "load_config": "fmpc.runtime.config",
    "parse_config": "fmpc.runtime.config",
}

__all__ = sorted(_EXPORTS)


__getattr__ = lazy_exports(__name__, _EXPORTS)
