"""``HttpBackend``: a model behind an OpenAI-compatible server (vLLM, SGLang, TGI).

Each item is one ``POST {endpoint}/v1/chat/completions`` whose user message holds the question
text and the images as ``data:image/png;base64,...`` URLs (see ``prompts`` for the wording per
function). Items of a batch are sent concurrently, at most ``max_concurrency`` at a time per
backend instance (across all callers), so the server can batch them. Timeouts, connection
errors, HTTP 429 and 5xx are retried with exponential backoff; a failure names the endpoint.

Confidence comes from the answer's token logprobs when the server returns them (the probability
of the whole answer, ``exp(sum(logprobs))``), else ``default_confidence``. Cost is declared.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

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


class HttpBackend(NamedBackend):
    """Serve ``function`` with ``model`` at the OpenAI-compatible server ``endpoint``.

    ``endpoint`` is the server's base URL (``http://host:8000``; a trailing ``/v1`` is accepted).
    ``timeout`` is in seconds per attempt; ``retries`` is the number of extra attempts, waiting
    ``backoff * 2**attempt`` seconds (at most ``max_backoff``) in between. ``extra_body`` is
    merged into every request (e.g. ``{"top_k": 1}``). Use it as a context manager, or call
    ``close()``, to release its connections.
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
        max_concurrency: int = 4,
        default_confidence: float = 1.0,
        logprobs: bool = True,
        max_tokens: int = 256,
        temperature: float = 0.0,
        prompt: PromptFormat | None = None,
        api_key: str | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> None:
        _check_settings(name, cost, timeout, retries, max_concurrency, default_confidence)
        super().__init__(name, function)
        self._url = chat_completions_url(endpoint)
        self._model = model
        self._cost = float(cost)
        self._retries = retries
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._max_concurrency = max_concurrency
        self._default_confidence = default_confidence
        self._request = {"max_tokens": max_tokens, "temperature": temperature, **(extra_body or {})}
        if logprobs:
            self._request["logprobs"] = True
        self._prompt = prompt or DEFAULT_PROMPTS.get(function, GENERIC_PROMPT)
        self._slots = threading.Semaphore(max_concurrency)
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=max_concurrency),
            headers=headers,
        )

    @property
    def url(self) -> str:
        """The chat-completions URL requests go to."""
        return self._url

    def cost(self, args: Args) -> float:
        """The declared cost (the same for every call)."""
        return self._cost

    def __call__(self, batch: Sequence[Args]) -> list[BackendResult]:
        """Serve ``batch``, items concurrently up to ``max_concurrency``."""
        if len(batch) <= 1:
            return [self._serve(args) for args in batch]
        with ThreadPoolExecutor(max_workers=min(len(batch), self._max_concurrency)) as pool:
            return list(pool.map(self._serve, batch))

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def __enter__(self) -> HttpBackend:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _serve(self, args: Args) -> BackendResult:
        try:
            body = self._body(args)
        except Exception as exc:  # an argument the prompt cannot render fails this item
            return BackendResult.failure(
                self._error(BackendFailure, f"cannot build the request: {exc}")
            )
        try:
            reply = self._post(body)
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

    def _post(self, body: dict[str, Any]) -> Any:
        """POST ``body``, retrying; the decoded JSON reply or a ``BackendFailure``."""
        error: BackendFailure | None = None
        for attempt in range(self._retries + 1):
            if attempt:
                time.sleep(min(self._backoff * 2 ** (attempt - 1), self._max_backoff))
            try:
                with self._slots:
                    response = self._client.post(self._url, json=body)
            except httpx.TimeoutException:
                error = self._error(BackendTimeout, f"no answer within the timeout{self._tries()}")
                continue
            except httpx.TransportError as exc:
                error = self._error(
                    BackendUnavailable, f"server unreachable ({exc}){self._tries()}"
                )
                continue
            if response.status_code in _RETRYABLE_STATUS:
                reason = f"server error HTTP {response.status_code}{self._tries()}"
                error = self._error(BackendUnavailable, reason)
                continue
            return self._decode(response)
        assert error is not None
        raise error

    def _decode(self, response: httpx.Response) -> Any:
        if response.status_code >= 400:
            reason = f"HTTP {response.status_code}: {_snippet(response.text)}"
            raise self._error(BackendResponseError, reason)
        try:
            return response.json()
        except ValueError:
            reason = f"answered with non-JSON: {_snippet(response.text)}"
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
            raise self._error(BackendResponseError, f"answer is not text: {text!r}")
        return text, self._confidence(choice)

    def _confidence(self, choice: Any) -> float:
        try:
            logprobs = [float(token["logprob"]) for token in choice["logprobs"]["content"]]
        except (KeyError, TypeError, ValueError):
            return self._default_confidence
        if not logprobs:
            return self._default_confidence
        return min(1.0, max(0.0, math.exp(sum(logprobs))))

    def _error(self, kind: type[BackendFailure], reason: str) -> BackendFailure:
        return kind(f"http backend {self._name!r} ({self._function}) at {self._url}: {reason}")

    def _tries(self) -> str:
        n = self._retries + 1
        return f" after {n} attempts" if n > 1 else ""

    def __repr__(self) -> str:
        return f"HttpBackend({self._name!r}, {self._function!r}, {self._url!r})"


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
) -> None:
    problems = [
        f"cost must be >= 0 (got {cost!r})" if cost < 0 else "",
        f"timeout must be > 0 (got {timeout!r})" if timeout <= 0 else "",
        f"retries must be >= 0 (got {retries!r})" if retries < 0 else "",
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
