"""``HttpBackend`` against a real OpenAI-compatible stub server on 127.0.0.1."""

from __future__ import annotations

import base64
import io
import json
import math
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest
from PIL import Image

from fmpc.runtime.backends import (
    BackendResponseError,
    BackendTimeout,
    BackendUnavailable,
    HttpBackend,
)
from fmpc.semantics.values import ImageValue, PatchValue

# A behaviour maps (request JSON, 1-based request number) to (status, body, delay in seconds).
Behaviour = Callable[[dict[str, Any], int], tuple[int, Any, float]]


def _reply(text: str, logprobs: list[float] | None = None) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": 0, "message": {"role": "assistant", "content": text}}
    if logprobs is not None:
        choice["logprobs"] = {"content": [{"token": "t", "logprob": lp} for lp in logprobs]}
    return {"id": "x", "object": "chat.completion", "choices": [choice]}


def _question(request: dict[str, Any]) -> str:
    content = request["messages"][0]["content"]
    return content if isinstance(content, str) else content[0]["text"]


class _Stub:
    """A threaded HTTP server answering POSTs by ``behaviour``, counting concurrency."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.active = 0
        self.max_active = 0
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                stub._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            block_on_close = False
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        body = json.loads(handler.rfile.read(int(handler.headers["Content-Length"])))
        with self.lock:
            self.requests.append(body)
            self.paths.append(handler.path)
            number = len(self.requests)
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            status, payload, delay = self.behaviour(body, number)
            time.sleep(delay)
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:
            pass  # the client gave up (timeout tests)
        finally:
            with self.lock:
                self.active -= 1

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def serve() -> Iterator[Callable[[Behaviour], _Stub]]:
    stubs: list[_Stub] = []

    def start(behaviour: Behaviour) -> _Stub:
        stubs.append(_Stub(behaviour))
        return stubs[-1]

    yield start
    for stub in stubs:
        stub.close()


def _backend(url: str, function: str = "exists", **kwargs: Any) -> HttpBackend:
    settings = {"timeout": 0.2, "retries": 0, "backoff": 0.01, **kwargs}
    return HttpBackend("vlm", function, url, "test-model", 5.0, **settings)


def _patch() -> PatchValue:
    pixels = np.random.default_rng(0).random((12, 16, 3), dtype=np.float32)
    return PatchValue(ImageValue(pixels, id="img"), 2, 3, 10, 9)


def test_normal_answer_with_image_and_logprob_confidence(serve: Any) -> None:
    stub = serve(lambda req, n: (200, _reply("Yes.", [math.log(0.8)]), 0.0))
    patch = _patch()
    with _backend(stub.url) as backend:
        (result,) = backend([(patch, "dog")])
    assert result.ok and result.output is True
    assert result.confidence == pytest.approx(0.8)
    assert result.cost == 5.0
    (request,) = stub.requests
    assert stub.paths == ["/v1/chat/completions"]
    assert request["model"] == "test-model" and request["logprobs"] is True
    text, image = request["messages"][0]["content"]
    assert text == {"type": "text", "text": "Is there a dog in the image? Answer yes or no."}
    url = image["image_url"]["url"]
    assert url.startswith("data:image/png;base64,")
    png = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    expected = np.round(patch.pixels() * 255).astype(np.uint8)
    assert np.array_equal(np.asarray(png), expected)  # the patch's crop, 6 high and 8 wide


def test_default_confidence_without_logprobs(serve: Any) -> None:
    stub = serve(lambda req, n: (200, _reply("no"), 0.0))
    with _backend(stub.url + "/v1/", default_confidence=0.6, logprobs=False) as backend:
        (result,) = backend([(_patch(), "dog")])
    assert result.output is False and result.confidence == 0.6
    assert stub.paths == ["/v1/chat/completions"]
    assert "logprobs" not in stub.requests[0]


def test_batch_answers_stay_in_order(serve: Any) -> None:
    def answer(req: dict[str, Any], n: int) -> tuple[int, Any, float]:
        return 200, _reply("yes" if " dog " in _question(req) else "no"), 0.01 * (n % 3)

    stub = serve(answer)
    names = ["dog", "cat", "dog", "bird", "cat", "dog"]
    with _backend(stub.url, max_concurrency=3) as backend:
        results = backend([(_patch(), name) for name in names])
    assert [r.output for r in results] == [name == "dog" for name in names]


def test_timeout_is_retried_then_reported(serve: Any) -> None:
    stub = serve(lambda req, n: (200, _reply("yes"), 1.0))
    with _backend(stub.url, timeout=0.1, retries=1) as backend:
        start = time.perf_counter()
        (result,) = backend([(_patch(), "dog")])
        elapsed = time.perf_counter() - start
    assert isinstance(result.error, BackendTimeout)
    assert str(result.error) == (
        f"http backend 'vlm' (exists) at {stub.url}/v1/chat/completions: "
        "no complete answer within 0.1s after 2 attempts"
    )
    assert result.cost == 0.0
    assert len(stub.requests) == 2 and elapsed < 0.9


def test_server_errors_are_retried_until_success(serve: Any) -> None:
    stub = serve(
        lambda req, n: (503, {"error": "busy"}, 0.0) if n <= 2 else (200, _reply("yes"), 0.0)
    )
    with _backend(stub.url, retries=2) as backend:
        (result,) = backend([(_patch(), "dog")])
    assert result.ok and result.output is True
    assert len(stub.requests) == 3


def test_persistent_server_error_is_unavailable(serve: Any) -> None:
    stub = serve(lambda req, n: (500, {"error": "down"}, 0.0))
    with _backend(stub.url, retries=1) as backend:
        (result,) = backend([(_patch(), "dog")])
    assert isinstance(result.error, BackendUnavailable)
    assert str(result.error).endswith("server error HTTP 500 after 2 attempts")
    assert len(stub.requests) == 2


def test_client_error_is_not_retried(serve: Any) -> None:
    stub = serve(lambda req, n: (400, {"error": "bad model"}, 0.0))
    with _backend(stub.url, retries=3) as backend:
        (result,) = backend([(_patch(), "dog")])
    assert isinstance(result.error, BackendResponseError)
    assert 'HTTP 400: \'{"error": "bad model"}\'' in str(result.error)
    assert len(stub.requests) == 1


def test_malformed_json_names_the_endpoint(serve: Any) -> None:
    stub = serve(lambda req, n: (200, b"<html>oops</html>", 0.0))
    with _backend(stub.url) as backend:
        (result,) = backend([(_patch(), "dog")])
    assert isinstance(result.error, BackendResponseError)
    assert str(result.error) == (
        f"http backend 'vlm' (exists) at {stub.url}/v1/chat/completions: "
        "answered with non-JSON: '<html>oops</html>'"
    )


def test_json_without_choices_is_a_response_error(serve: Any) -> None:
    stub = serve(lambda req, n: (200, {"object": "error"}, 0.0))
    with _backend(stub.url) as backend:
        (result,) = backend([(_patch(), "dog")])
    assert isinstance(result.error, BackendResponseError)
    assert "reply has no choices[0].message.content" in str(result.error)


def test_unreadable_answer_is_charged(serve: Any) -> None:
    stub = serve(lambda req, n: (200, _reply("Perhaps"), 0.0))
    with _backend(stub.url) as backend:
        (result,) = backend([(_patch(), "dog")])
    assert isinstance(result.error, BackendResponseError)
    assert "cannot read the answer: expected yes or no, got 'Perhaps'" in str(result.error)
    assert result.cost == 5.0


def test_connection_refused_names_the_endpoint() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with _backend(f"http://127.0.0.1:{port}", retries=1) as backend:
        (result,) = backend([(_patch(), "dog")])
    assert isinstance(result.error, BackendUnavailable)
    message = str(result.error)
    assert message.startswith(f"http backend 'vlm' (exists) at http://127.0.0.1:{port}/v1/chat")
    assert "server unreachable" in message and message.endswith("after 2 attempts")


def test_concurrency_limit_holds_across_callers(serve: Any) -> None:
    stub = serve(lambda req, n: (200, _reply("yes"), 0.05))
    with _backend(stub.url, max_concurrency=3, timeout=2.0) as backend:
        outputs: list[list[Any]] = []
        callers = [
            threading.Thread(target=lambda: outputs.append(backend([(_patch(), "dog")] * 6)))
            for _ in range(2)
        ]
        for caller in callers:
            caller.start()
        for caller in callers:
            caller.join()
    assert len(stub.requests) == 12
    assert all(r.ok for batch in outputs for r in batch)
    assert 2 <= stub.max_active <= 3


def test_text_only_function_sends_a_plain_message(serve: Any) -> None:
    stub = serve(lambda req, n: (200, _reply(" Paris. "), 0.0))
    with _backend(stub.url, function="llm_query") as backend:
        (result,) = backend([("What is the capital of France?",)])
    assert result.output == "Paris"
    assert stub.requests[0]["messages"] == [
        {"role": "user", "content": "What is the capital of France?"}
    ]


def test_find_parses_boxes_into_patches(serve: Any) -> None:
    stub = serve(lambda req, n: (200, _reply("[[0, 0, 4, 3], [4, 3, 8, 6]]"), 0.0))
    patch = _patch()  # box (2, 3, 10, 9): 8 wide, 6 high
    with _backend(stub.url, function="find") as backend:
        (result,) = backend([(patch, "dog")])
    assert [p.box() for p in result.output] == [(2, 6, 6, 9), (6, 3, 10, 6)]


def test_invalid_settings_are_rejected() -> None:
    with pytest.raises(ValueError, match="timeout must be > 0.*max_concurrency must be >= 1"):
        HttpBackend("b", "exists", "http://x", "m", 1.0, timeout=0, max_concurrency=0)
