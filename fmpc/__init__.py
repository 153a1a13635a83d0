"""fmpc: a compiler and runtime for foundation model programs.

The embedding API (imported on first use, so ``import fmpc`` stays cheap)::

    program = fmpc.load("prog.fmpa")              # an artifact made by `fmpc build`
    program = fmpc.compile("prog.py", backends="backends.yaml", policy="neural-ts")
    answer = program.answer(image, input_id="req-17")
    program.feedback("req-17", "yes")

See docs/serving.md; ``fmpc.deploy`` holds the rest (``Program``, ``ServeOptions``, errors).
"""

from fmpc._lazy import lazy_exports

__version__ = "0.1.0"

__all__ = ["__version__", "compile", "load"]

__getattr__ = lazy_exports(__name__, {"load": "fmpc.deploy", "compile": "fmpc.deploy"})
