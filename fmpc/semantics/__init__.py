"""The reference semantics: what a program means, independent of how it is run.

``Interpreter`` (one rule per op class, a subclass overrides any of them) runs a module with
Python's semantics; ``ImageValue`` / ``PatchValue`` are the run-time values of the visual types;
``HELPERS`` implements the deterministic library helpers; ``ProgramError`` / ``BackendError`` are
the errors a running program raises. Passes that need the meaning of ops (constant folding,
profiling) and the runtime's executor both build on it. The public names are re-exported by
``fmpc.runtime``.

Names are imported on first access (PEP 562).
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
}

__all__ = sorted(_EXPORTS)


__getattr__ = lazy_exports(__name__, _EXPORTS)
