"""What the ``fmpc`` commands share: the user-mistake error, reading inputs (a file or standard
input) and writing outputs."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

STDIN = "-"
"""The file name that means standard input (as does giving no file)."""

COMPILATION_CACHE = "xla-cache"
"""Where ``fmpc build`` and ``fmpc serve`` keep JAX's compilation cache, inside the artifact."""


class UsageError(Exception):
    """A mistake on the command line or in an input file, reported without a traceback."""


def command(
    subparsers: Any, name: str, handler: Callable[[argparse.Namespace], int], **kwargs: Any
) -> argparse.ArgumentParser:
    """A subcommand parser whose ``args.handler`` is ``handler`` and whose ``args.prog`` (e.g.
    ``fmpc compile``) starts its error messages, as argparse's own do."""
    parser: argparse.ArgumentParser = subparsers.add_parser(name, **kwargs)
    parser.set_defaults(handler=handler, prog=parser.prog)
    return parser


def is_stdin(path: str | None) -> bool:
    """Whether ``path`` (a command's file argument) means standard input."""
    return path is None or path == STDIN


def display_name(path: str | None) -> str:
    """How ``path`` is named in messages (``<stdin>`` for standard input)."""
    return "<stdin>" if is_stdin(path) else str(path)


def read_text(path: str | None) -> str:
    """The contents of ``path`` (standard input for ``-`` or ``None``), or a ``UsageError``
    saying why it cannot be read."""
    name = display_name(path)
    try:
        if is_stdin(path):
            stream = getattr(sys.stdin, "buffer", None)
            return stream.read().decode("utf-8") if stream is not None else sys.stdin.read()
        return Path(str(path)).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{name}: is a directory, expected a file") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise UsageError(f"{name}: cannot read ({exc.strerror or exc})") from None


def write_output(text: str, out: str | None) -> None:
    """Write ``text`` (ending it with a newline) to ``out`` (a path) or to stdout."""
    text = text if text.endswith("\n") else text + "\n"
    if out is None:
        sys.stdout.write(text)
        return
    try:
        Path(out).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{out}: cannot write ({exc.strerror or exc})") from None


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
