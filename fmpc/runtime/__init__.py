"""The runtime: the reference interpreter, the executor that routes every call site through a
policy, backends, traces, the execution cache and runtime values. See docs/runtime.md.

Names are imported on first access, so importing ``fmpc.runtime`` does not load JAX.
"""

from __future__ import annotations

from fmpc._lazy import lazy_exports

_EXPORTS = {
    "Interpreter": "fmpc.semantics.interpreter",
    "RunResult": "fmpc.semantics.interpreter",
    "RunState": "fmpc.semantics.interpreter",
    "ProgramError": "fmpc.semantics.errors",
    "BackendError": "fmpc.semantics.errors",
    "HELPERS": "fmpc.semantics.helpers",
    "ImageValue": "fmpc.semantics.values",
    "PatchValue": "fmpc.semantics.values",
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
    "BackendConfig": "fmpc.runtime.config",
    "ConfigError": "fmpc.runtime.config",
    "load_config": "fmpc.runtime.config",
    "parse_config": "fmpc.runtime.config",
}

__all__ = sorted(_EXPORTS)


__getattr__ = lazy_exports(__name__, _EXPORTS)
