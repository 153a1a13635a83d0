"""Deployment: compile a program ahead of time into one artifact (``fmpc build``), load it
anywhere as a thread-safe ``Program`` (``fmpc.load`` / ``fmpc.compile``), serve it over HTTP
(``fmpc serve``). See docs/serving.md.

Names are imported on first access, so importing ``fmpc.deploy`` does not load JAX.
"""

from __future__ import annotations

from fmpc._lazy import lazy_exports

_EXPORTS = {
    "load": "fmpc.deploy.program",
    "compile": "fmpc.deploy.program",
    "Program": "fmpc.deploy.program",
    "Answer": "fmpc.deploy.program",
    "SiteUse": "fmpc.deploy.program",
    "FeedbackResult": "fmpc.deploy.program",
    "ServeOptions": "fmpc.deploy.program",
    "Artifact": "fmpc.deploy.artifact",
    "ArtifactError": "fmpc.deploy.artifact",
    "open_artifact": "fmpc.deploy.artifact",
    "FeedbackError": "fmpc.deploy.feedback",
    "DuplicateInputError": "fmpc.deploy.feedback",
    "ImageError": "fmpc.deploy.images",
    "LabelError": "fmpc.deploy.labels",
    "create_app": "fmpc.deploy.server",
}

__all__ = sorted(_EXPORTS)


__getattr__ = lazy_exports(__name__, _EXPORTS)
