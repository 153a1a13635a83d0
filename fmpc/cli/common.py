"""What the ``fmpc`` commands share: the user-mistake error and reading / writing files."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
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


@contextlib.contextmanager
def compilation_cache(artifact: str | Path) -> Iterator[None]:
    """JAX's persistent compilation cache in the artifact's ``xla-cache`` directory while the
    block runs: what one process compiled (the policy's decisions, its training step) the next
    one loads instead of compiling again. A cache, not part of the artifact's content: it is not
    hashed, and a missing or foreign one only costs compile time. JAX's setting is process-wide,
    so the commands set it around their work and put the previous one back after."""
    import jax
    from jax.experimental.compilation_cache import compilation_cache as cache

    names = ("jax_compilation_cache_dir", "jax_persistent_cache_min_compile_time_secs")
    before = {name: getattr(jax.config, name) for name in names}
    cache.reset_cache()  # a process that compiled already decided on no cache
    jax.config.update(names[0], str(Path(artifact) / COMPILATION_CACHE))
    jax.config.update(names[1], 0.0)
    try:
        yield
    finally:
        for name, value in before.items():
            jax.config.update(name, value)
        cache.reset_cache()
