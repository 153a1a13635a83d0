"""``HttpBackend``: a model behind an OpenAI-compatible server (vLLM, SGLang, TGI).

Each item is one ``POST {endpoint}/v1/chat/completions`` whose user message holds the question
text and the images as ``data:image/png;base64,...`` URLs (see ``prompts`` for the wording per
function). Items of a batch are sent concurrently, at most ``max_concurrency`` at a time per
backend instance (across all callers), so the server can batch them. Requests run on the
backend's own event loop (one thread, started on first use) with httpx's async client, so that
every attempt and every item has a true deadline that cancels the request, however slowly a
server trickles its answer.

Bounds, per item: each attempt ends ``timeout`` seconds after it starts (connecting, sending,
waiting and reading all included), and all attempts with the waits between them end at the
item's ``deadline``. Timeouts, connection errors, HTTP 429 and 5xx are retried with exponential
backoff and jitter; a ``Retry-After`` header (seconds or an HTTP date) is honoured, and one that
asks to wait past the deadline ends the retries at once. A reply larger than
``MAX_RESPONSE_BYTES`` is an error. A failure names the endpoint.

Confidence comes from the answer's token logprobs when the server returns them (the probability
of the whole answer, ``exp(sum(logprobs))``, computed so that no value overflows), else
``default_confidence``. Cost is declared.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import math
import random
import threading
import time
from collections.abc import Coroutine, Mapping, Sequence
from concurrent.futures import Future
from typing import Any, TypeVar

import httpx

from fmpc.runtime.backends.base import (
    Args,
    BackendFailure,
    BackendResponseError,
    BackendResult,
    BackendTimeout,
    BackendUnavailable,
    NamedBackend,
)
from fmpc.runtime.backends.images import pixels_of, png_data_url
from fmpc.runtime.backends.prompts import DEFAULT_PROMPTS, GENERIC_PROMPT, PromptFormat

_RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})

MAX_RETRIES = 10
"""The most retries an item may have (each attempt is bounded by ``timeout``)."""

MAX_RESPONSE_BYTES = 16 * 1024 * 1024
"""The largest reply body read (16 MiB); a longer one is a ``BackendResponseError``."""

T = TypeVar("T")


class HttpBackend(NamedBackend):
    """Serve ``function`` with ``model`` at the OpenAI-compatible server ``endpoint``.

    ``endpoint`` is the server's base URL (``http://host:8000``; a trailing ``/v1`` is accepted).
    ``timeout`` bounds each attempt, in seconds, from connecting to the last byte; ``retries``
    is the number of extra attempts, waiting about ``backoff * 2**attempt`` seconds (at most
    ``max_backoff``, with random jitter of up to half of it, or what ``Retry-After`` asks) in
    between; ``deadline`` bounds an item's attempts and waits together (default: the most they
    could take, ``timeout * (retries + 1) + max_backoff * retries``). ``extra_body`` is merged
    into every request (e.g. ``{"top_k": 1}``). Use it as a context manager, or call
    ``close()``, to release its connections and its event loop.
    """

    def __init__(
        self,
        name: str,
        function: str,
        endpoint: str,
        model: str,
        cost: float,
        *,
        timeout: float = 30.0,
        retries: int = 2,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        deadline: float | None = None,
        max_concurrency: int = 4,
        default_confidence: float = 1.0,
        logprobs: bool = True,
        max_tokens: int = 256,
        temperature: float = 0.0,
        prompt: PromptFormat | None = None,
        api_key: str | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> None:
        _check_settings(name, cost, timeout, retries, max_concurrency, default_confidence, deadline)
        super().__init__(name, function)
        self._url = chat_completions_url(endpoint)
        self._model = model
        self._cost = float(cost)
        self._timeout = float(timeout)
        self._retries = retries
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._deadline = (
            float(deadline)
            if deadline is not None
            else timeout * (retries + 1) + max_backoff * retries
        )
        self._max_concurrency = max_concurrency
        self._default_confidence = default_confidence
        self._request = {"max_tokens": max_tokens, "temperature": temperature, **(extra_body or {})}
        if logprobs:
            self._request["logprobs"] = True
        self._prompt = prompt or DEFAULT_PROMPTS.get(function, GENERIC_PROMPT)
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._jitter = random.Random()
        self._loop = _LoopThread(f"fmpc-http-{name}", self._make_client)

    @property
    def url(self) -> str:
        """The chat-completions URL requests go to."""
        return self._url

    @property
    def deadline(self) -> float:
        """Seconds an item may take, all attempts and waits included."""
        return self._deadline

    def cost(self, args: Args) -> float:
        """The declared cost (the same for every call)."""
        return self._cost

    def __call__(self, batch: Sequence[Args]) -> list[BackendResult]:
        """Serve ``batch``, items concurrently up to ``max_concurrency``."""
        bodies = [self._body_or_failure(args) for args in batch]
        futures = [
            None if isinstance(body, BackendResult) else self._loop.submit(self._serve(args, body))
            for args, body in zip(batch, bodies, strict=True)
        ]
        results = []
        for body, future in zip(bodies, futures, strict=True):
            if future is None:
                assert isinstance(body, BackendResult)
                results.append(body)
            else:
                results.append(future.result())
        return results

    def close(self) -> None:
        """Close the connection pool and stop the event loop."""
        self._loop.close()

    def __enter__(self) -> HttpBackend:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _make_client(self) -> tuple[httpx.AsyncClient, asyncio.Semaphore]:
        client = httpx.AsyncClient(
            timeout=httpx.Timeout(self._timeout),
            limits=httpx.Limits(max_connections=self._max_concurrency),
            headers=self._headers,
        )
        return client, asyncio.Semaphore(self._max_concurrency)

    def _body_or_failure(self, args: Args) -> dict[str, Any] | BackendResult:
        try:
            return self._body(args)
        except Exception as exc:  # an argument the prompt cannot render fails this item
            return BackendResult.failure(
                self._error(BackendFailure, f"cannot build the request: {exc}")
            )

    async def _serve(self, args: Args, body: dict[str, Any]) -> BackendResult:
        try:
            reply = await self._post(body)
            text, confidence = self._answer(reply)
        except BackendFailure as exc:
            return BackendResult.failure(exc)
        try:
            return BackendResult(self._prompt.parse(text, args), confidence, self._cost)
        except Exception as exc:  # the model answered: the item is charged
            error = self._error(BackendResponseError, f"cannot read the answer: {exc}")
            return BackendResult.failure(error, self._cost)

    def _body(self, args: Args) -> dict[str, Any]:
        text, images = self._prompt.render(args)
        content: str | list[dict[str, Any]] = text
        if images:
            parts = [{"type": "text", "text": text}]
            urls = [{"url": png_data_url(pixels_of(image))} for image in images]
            content = parts + [{"type": "image_url", "image_url": url} for url in urls]
        messages = [{"role": "user", "content": content}]
        return {"model": self._model, "messages": messages, **self._request}

    async def _post(self, body: dict[str, Any]) -> Any:
        """POST ``body``, retrying until the deadline; the decoded reply or a failure."""
        end = time.monotonic() + self._deadline
        error: BackendFailure | None = None
        retry_after: float | None = None
        for attempt in range(self._retries + 1):
            if attempt:
                wait = self._wait(attempt, retry_after)
                fits = time.monotonic() + wait < end
                if fits:
                    await asyncio.sleep(wait)
                if not fits or time.monotonic() >= end:  # no time for the pause, or it overshot
                    assert error is not None
                    raise _after(error, attempt, self._past_deadline(wait, retry_after))
            remaining = end - time.monotonic()
            try:
                status, headers, content = await self._attempt(body, min(self._timeout, remaining))
            except BackendFailure as exc:
                error, retry_after = exc, None
                continue
            if status in _RETRYABLE_STATUS:
                error = self._error(BackendUnavailable, f"server error HTTP {status}")
                retry_after = _retry_after(headers.get("retry-after"))
                continue
            return self._decode(status, content)
        assert error is not None
        raise _after(error, self._retries + 1)

    async def _attempt(
        self, body: dict[str, Any], seconds: float
    ) -> tuple[int, httpx.Headers, bytes]:
        """One request, cancelled after ``seconds``: status, headers and the whole body."""
        client, slots = self._loop.state
        try:
            async with (
                asyncio.timeout(seconds),
                slots,
                client.stream("POST", self._url, json=body) as response,
            ):
                content = await _read_bounded(response)
                return response.status_code, response.headers, content
        except (TimeoutError, httpx.TimeoutException):
            reason = f"no complete answer within {seconds:.3g}s"
            raise self._error(BackendTimeout, reason) from None
        except httpx.TransportError as exc:
            reason = f"server unreachable ({exc or type(exc).__name__})"
            raise self._error(BackendUnavailable, reason) from None
        except _TooLarge:
            reason = f"answered with more than {MAX_RESPONSE_BYTES} bytes"
            raise self._error(BackendResponseError, reason) from None

    def _wait(self, attempt: int, retry_after: float | None) -> float:
        """The pause before ``attempt``: exponential backoff with jitter, or ``Retry-After``."""
        base = min(self._backoff * 2 ** (attempt - 1), self._max_backoff)
        jittered = base / 2 + self._jitter.uniform(0.0, base / 2)
        return max(jittered, retry_after) if retry_after is not None else jittered

    def _past_deadline(self, wait: float, retry_after: float | None) -> str:
        if retry_after is not None and retry_after >= wait:
            return f"the server asked to retry after {retry_after:g}s, past the {self._deadline:g}s deadline"
        return f"no time left to retry within the {self._deadline:g}s deadline"

    def _decode(self, status: int, content: bytes) -> Any:
        text = content.decode("utf-8", "replace")
        if status >= 400:
            raise self._error(BackendResponseError, f"HTTP {status}: {_snippet(text)}")
        try:
            return json.loads(text)
        except (ValueError, RecursionError):
            reason = f"answered with non-JSON: {_snippet(text)}"
            raise self._error(BackendResponseError, reason) from None

    def _answer(self, reply: Any) -> tuple[str, float]:
        """The answer text and its confidence from a chat-completions reply."""
        try:
            choice = reply["choices"][0]
            text = choice["message"]["content"]
        except (KeyError, IndexError, TypeError):
            reason = f"reply has no choices[0].message.content: {_snippet(json.dumps(reply))}"
            raise self._error(BackendResponseError, reason) from None
        if not isinstance(text, str):
            raise self._error(BackendResponseError, f"answer is not text: {_snippet(repr(text))}")
        return text, self._confidence(choice)

    def _confidence(self, choice: Any) -> float:
        try:
            logprobs = [float(token["logprob"]) for token in choice["logprobs"]["content"]]
        except (KeyError, TypeError, ValueError, OverflowError):
            return self._default_confidence
        return answer_probability(logprobs, self._default_confidence)

    def _error(self, kind: type[BackendFailure], reason: str) -> BackendFailure:
        return kind(f"http backend {self._name!r} ({self._function}) at {self._url}: {reason}")

    def __repr__(self) -> str:
        return f"HttpBackend({self._name!r}, {self._function!r}, {self._url!r})"


def answer_probability(logprobs: Sequence[float], default: float) -> float:
    """``exp(sum(logprobs))`` in [0, 1], never overflowing: a log-probability above 0 (which
    no distribution gives) counts as 0, a huge negative sum gives 0, and ``nan`` anywhere (or
    no logprobs) gives ``default``."""
    if not logprobs or any(math.isnan(lp) for lp in logprobs):
        return default
    return math.exp(sum(min(lp, 0.0) for lp in logprobs))


def _after(error: BackendFailure, attempts: int, why: str = "") -> BackendFailure:
    """``error`` saying how many attempts were made, and why no more were."""
    text = f"{error} after {attempts} attempts" if attempts > 1 else str(error)
    return type(error)(f"{text} ({why})" if why else text)


class _TooLarge(Exception):  # noqa: N818 - internal signal
    """A reply body passed ``MAX_RESPONSE_BYTES``."""


async def _read_bounded(response: httpx.Response) -> bytes:
    chunks = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _retry_after(value: str | None) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (a number or an HTTP date), if valid."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    return max(0.0, seconds) if math.isfinite(seconds) else None


class _LoopThread:
    """An asyncio event loop on its own daemon thread, started on first use; ``state`` is what
    ``setup`` made inside the loop (the async client and the concurrency limit)."""

    def __init__(self, name: str, setup: Any) -> None:
        self._name = name
        self._setup = setup
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._closed = False
        self.state: Any = None

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> Future[T]:
        """Run ``coroutine`` on the loop; its future."""
        try:
            loop = self._started()
        except BaseException:
            coroutine.close()
            raise
        return asyncio.run_coroutine_threadsafe(coroutine, loop)

    def _started(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._closed:
                raise BackendUnavailable(f"{self._name}: the backend was closed")
            if self._loop is None:
                loop = asyncio.new_event_loop()
                self._thread = threading.Thread(
                    target=loop.run_forever, name=self._name, daemon=True
                )
                self._thread.start()
                self.state = asyncio.run_coroutine_threadsafe(self._make(), loop).result()
                self._loop = loop
            return self._loop

    async def _make(self) -> Any:
        return self._setup()

    def close(self) -> None:
        """Close the client, stop the loop and join its thread (idempotent)."""
        with self._lock:
            loop, thread, self._loop, self._closed = self._loop, self._thread, None, True
        if loop is None or thread is None:
            return
        client = self.state[0]
        asyncio.run_coroutine_threadsafe(client.aclose(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


def chat_completions_url(endpoint: str) -> str:
    """``{endpoint}/v1/chat/completions`` (``endpoint`` may already end in ``/v1``)."""
    base = endpoint.rstrip("/")
    if base.endswith("/v1"):
        return base + "/chat/completions"
    return base + "/v1/chat/completions"


def _check_settings(
    name: str,
    cost: float,
    timeout: float,
    retries: int,
    max_concurrency: int,
    default_confidence: float,
    deadline: float | None,
) -> None:
    problems = [
        f"cost must be >= 0 (got {cost!r})" if cost < 0 else "",
        f"timeout must be > 0 (got {timeout!r})" if not timeout > 0 else "",
        f"deadline must be > 0 (got {deadline!r})"
        if deadline is not None and not deadline > 0
        else "",
        f"retries must be in [0, {MAX_RETRIES}] (got {retries!r})"
        if not 0 <= retries <= MAX_RETRIES
        else "",
        f"max_concurrency must be >= 1 (got {max_concurrency!r})" if max_concurrency < 1 else "",
        f"default_confidence must be in [0, 1] (got {default_confidence!r})"
        if not 0 <= default_confidence <= 1
        else "",
    ]
    problems = [p for p in problems if p]
    if problems:
        raise ValueError(f"http backend {name!r}: " + "; ".join(problems))


def _snippet(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[:limit] + "...")
