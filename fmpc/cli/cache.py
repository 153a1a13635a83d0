"""The ``fmpc`` command's persistent compilation cache (JAX's, on disk).

A backend compiles one executable per input shape and batch bucket; a short ``fmpc run`` with a
large window spends more time compiling than running models. With JAX's persistent compilation
cache a second command on the same machine loads the executables instead of compiling them.
The command turns it on through JAX's environment variables before JAX is imported, so commands
that never import JAX pay nothing:

* ``FMPC_COMPILE_CACHE=DIR`` caches in ``DIR``; ``off`` (or ``0``, ``none``, empty) turns it off;
* unset: ``$XDG_CACHE_HOME/fmpc/jax`` (``~/.cache/fmpc/jax``);
* a ``JAX_COMPILATION_CACHE_DIR`` the user set is left as it is.

The cache is as trusted as the code: keep it in a directory only you can write.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from pathlib import Path

CACHE_VARIABLE = "FMPC_COMPILE_CACHE"
"""Where the command caches compiled executables, or ``off``."""

_OFF = ("", "0", "off", "none", "false", "no")


def cache_directory(environ: Mapping[str, str]) -> Path | None:
    """The cache directory ``environ`` asks for (``None``: no cache)."""
    value = environ.get(CACHE_VARIABLE)
    if value is not None:
        return None if value.strip().lower() in _OFF else Path(value).expanduser()
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "fmpc" / "jax"


def use_compile_cache(environ: MutableMapping[str, str]) -> Path | None:
    """Point JAX's persistent compilation cache at ``cache_directory(environ)`` by setting
    ``environ``'s JAX variables (every compile is cached, however short); the directory, or
    ``None`` when the cache is off or the user configured JAX's own."""
    if "JAX_COMPILATION_CACHE_DIR" in environ:
        return None
    directory = cache_directory(environ)
    if directory is None:
        return None
    environ["JAX_COMPILATION_CACHE_DIR"] = str(directory)
    environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
    environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")
    return directory
