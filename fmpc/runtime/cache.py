"""``ExecutionCache``: backend outputs by (input content, site, backend, arguments), shared by
executors.

Evaluating many policies over one stream calls the same backend on the same arguments again and
again; with one cache shared by their executors, each backend call runs once. The key is::

    (digest of the input's pixels and id, site, function, backend name, digest of the arguments)

The input is named by its content, not by its id alone: two inputs that share an id (duplicate
lines of a JSONL file) but not their pixels never see each other's outputs. The id is part of
the digest too, because an input may carry more than its pixels (the embedded world's scene
graph, which perfect-perception backends read), so equal pixels under two ids are cached apart.
``ExecutionCache.input_key(image)`` hashes an image once per image object (remembered weakly,
so a cache shared by many executors hashes each input once). The arguments' digest
(``args_digest``) is a stable hash of the runtime values: a ``PatchValue`` by its image's
digest, box and score, an ``ImageValue`` by its digest, strings,
numbers, ``None``, lists and numpy arrays by content. Arguments of other types are never cached,
nor are failed calls (a transient failure is not replayed).

The cache is bounded (least recently used entries are evicted beyond ``max_entries``) and
thread-safe. ``entries(image)`` lists everything cached for one input: the hindsight oracle
reads the outcome of every backend at every site from it.
"""

from __future__ import annotations

import hashlib
import struct
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from fmpc.runtime.backends.base import BackendResult
from fmpc.semantics.values import ImageValue, PatchValue

DEFAULT_MAX_ENTRIES = 100_000
"""Entries kept by default before the least recently used are evicted."""


class CacheKey(NamedTuple):
    """What identifies one backend call: ``input`` is the input's content digest
    (``ExecutionCache.input_key``), ``args`` the arguments' digest (``args_digest``)."""

    input: str
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


ImageKey = Callable[[ImageValue], str]
"""How an image is named in digests: ``image_digest``, or a cache's memoized
``ExecutionCache.input_key``."""


def image_digest(image: ImageValue) -> str:
    """A 32-hex-digit digest of an image's content: its pixels (shape, dtype, values) and id."""
    pixels = np.ascontiguousarray(image.pixels)
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{pixels.dtype.str}{pixels.shape}".encode())
    digest.update(pixels.data.cast("B"))
    _feed_text(digest, image.id)
    return digest.hexdigest()


def args_digest(args: tuple[Any, ...], image_key: ImageKey = image_digest) -> bytes:
    """A 16-byte digest of the runtime values ``args``, equal for equal values across runs;
    images (and the images of patches) are named by ``image_key``.

    Raises ``Unhashable`` for a value of another type.
    """
    digest = hashlib.blake2b(digest_size=16)
    _feed(digest, args, image_key)
    return digest.digest()


def _feed(digest: Any, value: Any, image_key: ImageKey) -> None:
    if isinstance(value, PatchValue):
        digest.update(b"P")
        _feed_text(digest, image_key(value.image))
        digest.update(struct.pack("<4qd", *value.box(), value.score))
    elif isinstance(value, ImageValue):
        digest.update(b"I")
        _feed_text(digest, image_key(value))
    elif isinstance(value, list | tuple):
        digest.update(b"L" if isinstance(value, list) else b"T")
        digest.update(struct.pack("<q", len(value)))
        for item in value:
            _feed(digest, item, image_key)
    else:
        _feed_scalar(digest, value)


def _feed_text(digest: Any, text: str) -> None:
    data = text.encode("utf-8", "surrogatepass")
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
        self._digests: weakref.WeakKeyDictionary[ImageValue, str] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0
        self._evictions = 0

    def input_key(self, image: Any) -> str | None:
        """The digest naming ``image`` in keys (``image_digest``), computed once per image object;
        ``None`` for an input that is not an ``ImageValue`` (its calls are not cached)."""
        if not isinstance(image, ImageValue):
            return None
        with self._lock:
            known = self._digests.get(image)
        if known is None:
            known = image_digest(image)
            with self._lock:
                self._digests[image] = known
        return known

    def key(
        self, input_key: str | None, site: int, fn: str, backend: str, args: tuple[Any, ...]
    ) -> CacheKey | None:
        """The key of a call on the input named ``input_key`` (``input_key(image)``), or
        ``None`` when it cannot be cached (no input key, or an argument ``args_digest`` cannot
        hash)."""
        if not input_key:
            return None
        try:
            return CacheKey(input_key, site, fn, backend, args_digest(args, self._image_key))
        except Unhashable:
            return None

    def _image_key(self, image: ImageValue) -> str:
        key = self.input_key(image)
        assert key is not None
        return key

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
            self._by_input.setdefault(key.input, set()).add(key)
            while len(self._entries) > self.max_entries:
                self._evict_oldest()

    def _evict_oldest(self) -> None:
        old, _ = self._entries.popitem(last=False)
        keys = self._by_input.get(old.input)
        if keys is not None:
            keys.discard(old)
            if not keys:
                del self._by_input[old.input]
        self._evictions += 1

    def entries(self, image: Any) -> tuple[CacheEntry, ...]:
        """Everything cached for one input (an ``ImageValue``, or its ``input_key``), sorted by
        site, backend and arguments (lookups through here are not counted as hits)."""
        input_key = image if isinstance(image, str) else self.input_key(image)
        with self._lock:
            keys = sorted(self._by_input.get(input_key or "", ()))
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
