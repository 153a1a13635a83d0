"""``ExecutionCache``: backend outputs by (input, site, backend, arguments), shared by executors.

Evaluating many policies over one stream calls the same backend on the same arguments again and
again; with one cache shared by their executors, each backend call runs once. The key is::

    (input id, site, function, backend name, digest of the arguments)

where the digest is a stable hash of the runtime values (``args_digest``): a ``PatchValue`` by
its image's id, box and score, an ``ImageValue`` by its id, strings, numbers, ``None``, lists and
numpy arrays by content. An input id must therefore identify the input's content; inputs without
an id (``ImageValue.id == ""``) and arguments of other types are never cached. Failed calls are
not cached (a transient failure is not replayed).

The cache is bounded (least recently used entries are evicted beyond ``max_entries``) and
thread-safe. ``entries(input_id)`` lists everything cached for one input: the hindsight oracle
reads the outcome of every backend at every site from it.
"""

from __future__ import annotations

import hashlib
import struct
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from fmpc.runtime.backends.base import BackendResult
from fmpc.semantics.values import ImageValue, PatchValue

DEFAULT_MAX_ENTRIES = 100_000
"""Entries kept by default before the least recently used are evicted."""


class CacheKey(NamedTuple):
    """What identifies one backend call: ``args`` is the arguments' digest (``args_digest``)."""

    input_id: str
    site: int
    fn: str
    backend: str
    args: bytes


@dataclass(frozen=True, slots=True)
class CachedCall:
    """A cached backend outcome and the wall time it took when it ran."""

    result: BackendResult
    latency_s: float


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """One cached call, as ``entries`` lists them."""

    key: CacheKey
    result: BackendResult
    latency_s: float


@dataclass(frozen=True, slots=True)
class CacheStats:
    """Hits, misses and size of a cache at one moment."""

    hits: int
    misses: int
    entries: int
    evictions: int

    @property
    def hit_rate(self) -> float:
        """``hits / (hits + misses)`` (0 before any lookup)."""
        lookups = self.hits + self.misses
        return self.hits / lookups if lookups else 0.0


class Unhashable(TypeError):
    """A value ``args_digest`` cannot hash stably (its call is not cached)."""


def args_digest(args: tuple[Any, ...]) -> bytes:
    """A 16-byte digest of the runtime values ``args``, equal for equal values across runs.

    Raises ``Unhashable`` for a value of another type, or an ``ImageValue`` without an id.
    """
    digest = hashlib.blake2b(digest_size=16)
    _feed(digest, args)
    return digest.digest()


def _feed(digest: Any, value: Any) -> None:
    if isinstance(value, PatchValue):
        digest.update(b"P")
        _feed_image(digest, value.image)
        digest.update(struct.pack("<4qd", *value.box(), value.score))
    elif isinstance(value, ImageValue):
        digest.update(b"I")
        _feed_image(digest, value)
    elif isinstance(value, list | tuple):
        digest.update(b"L" if isinstance(value, list) else b"T")
        digest.update(struct.pack("<q", len(value)))
        for item in value:
            _feed(digest, item)
    else:
        _feed_scalar(digest, value)


def _feed_image(digest: Any, image: ImageValue) -> None:
    if not image.id:
        raise Unhashable("an image without an id cannot be cached")
    _feed_text(digest, image.id)


def _feed_text(digest: Any, text: str) -> None:
    data = text.encode("utf-8")
    digest.update(struct.pack("<q", len(data)))
    digest.update(data)


def _feed_scalar(digest: Any, value: Any) -> None:
    if value is None:
        digest.update(b"N")
    elif isinstance(value, bool):
        digest.update(b"B1" if value else b"B0")
    elif isinstance(value, int):
        digest.update(b"i")
        _feed_text(digest, str(value))
    elif isinstance(value, float):
        digest.update(b"f")
        digest.update(struct.pack("<d", value))
    elif isinstance(value, str):
        digest.update(b"s")
        _feed_text(digest, value)
    elif isinstance(value, np.ndarray):
        digest.update(b"A")
        _feed_text(digest, f"{value.dtype.str}{value.shape}")
        digest.update(np.ascontiguousarray(value).tobytes())
    else:
        raise Unhashable(f"cannot hash a {type(value).__name__} stably")


class ExecutionCache:
    """A bounded, thread-safe LRU cache of backend outcomes; see the module docstring.

    ::

        cache = ExecutionCache(max_entries=50_000)
        for policy in policies:
            Executor(module, backends, policy, cache=cache).run_window(images)
        cache.stats()  # hits, misses, entries, evictions
    """

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be >= 1, got {max_entries}")
        self.max_entries = max_entries
        self._entries: OrderedDict[CacheKey, CachedCall] = OrderedDict()
        self._by_input: dict[str, set[CacheKey]] = {}
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0
        self._evictions = 0

    @staticmethod
    def key(
        input_id: str, site: int, fn: str, backend: str, args: tuple[Any, ...]
    ) -> CacheKey | None:
        """The key of a call, or ``None`` when it cannot be cached (no input id, or an argument
        ``args_digest`` cannot hash)."""
        if not input_id:
            return None
        try:
            return CacheKey(input_id, site, fn, backend, args_digest(args))
        except Unhashable:
            return None

    def get(self, key: CacheKey) -> CachedCall | None:
        """The cached outcome of ``key`` (counted as a hit), or ``None`` (a miss)."""
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                self._misses += 1
                return None
            self._entries.move_to_end(key)
            self._hits += 1
            return found

    def put(self, key: CacheKey, result: BackendResult, latency_s: float) -> None:
        """Remember a successful outcome (failed ones are ignored); evicts the least recently
        used entries beyond ``max_entries``."""
        if not result.ok:
            return
        with self._lock:
            self._entries[key] = CachedCall(result, latency_s)
            self._entries.move_to_end(key)
            self._by_input.setdefault(key.input_id, set()).add(key)
            while len(self._entries) > self.max_entries:
                self._evict_oldest()

    def _evict_oldest(self) -> None:
        old, _ = self._entries.popitem(last=False)
        keys = self._by_input.get(old.input_id)
        if keys is not None:
            keys.discard(old)
            if not keys:
                del self._by_input[old.input_id]
        self._evictions += 1

    def entries(self, input_id: str) -> tuple[CacheEntry, ...]:
        """Everything cached for ``input_id``, sorted by site, backend and arguments (lookups
        through here are not counted as hits)."""
        with self._lock:
            keys = sorted(self._by_input.get(input_id, ()))
            return tuple(
                CacheEntry(k, self._entries[k].result, self._entries[k].latency_s) for k in keys
            )

    def stats(self) -> CacheStats:
        """The counters now."""
        with self._lock:
            return CacheStats(self._hits, self._misses, len(self._entries), self._evictions)

    @property
    def hits(self) -> int:
        """Lookups that found an entry."""
        return self.stats().hits

    @property
    def misses(self) -> int:
        """Lookups that found nothing."""
        return self.stats().misses

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def clear(self) -> None:
        """Forget every entry (the counters are kept)."""
        with self._lock:
            self._entries.clear()
            self._by_input.clear()

    def __repr__(self) -> str:
        s = self.stats()
        return f"ExecutionCache({s.entries}/{self.max_entries} entries, {s.hits} hits, {s.misses} misses)"
