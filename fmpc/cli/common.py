"""What the ``fmpc`` commands share: the user-mistake error and reading / writing files."""

from __future__ import annotations

import sys
from pathlib import Path

COMPILATION_CACHE = "xla-cache"
"""Where ``fmpc build`` and ``fmpc serve`` keep JAX's compilation cache, inside the artifact."""


class UsageError(Exception):
    """A mistake on the command line or in an input file, reported without a traceback."""


def read_text(path: str) -> str:
    """The contents of ``path``, or a ``UsageError`` saying why it cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory, expected a file") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror})") from None


def write_output(text: str, out: str | None) -> None:
    """Write ``text`` to ``out`` (a path) or to stdout."""
    if out is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    try:
        Path(out).write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{out}: cannot write ({exc.strerror})") from None


def use_compilation_cache(artifact: str | Path) -> None:
    """Turn on JAX's persistent compilation cache for this process, in the artifact's
    ``xla-cache`` directory: what one process compiled (the policy's decisions, its training
    step) the next one loads instead of compiling again. A cache, not part of the artifact's
    content: it is not hashed, and a missing or foreign one only costs compile time. Set by the
    commands, never by the library (it is process-wide)."""
    import jax
    from jax.experimental.compilation_cache import compilation_cache

    compilation_cache.reset_cache()  # a process that compiled already decided on no cache
    jax.config.update("jax_compilation_cache_dir", str(Path(artifact) / COMPILATION_CACHE))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
