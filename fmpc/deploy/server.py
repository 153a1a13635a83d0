"""The HTTP service of ``fmpc serve``: a FastAPI app around a ``Program``.

| endpoint | what |
|---|---|
| ``POST /v1/answer`` | JSON ``{"image": BASE64, "input_id": ID?}`` or a multipart form (file ``image``, field ``input_id``) -> the answer, its cost, the backends called, its ids |
| ``POST /v1/feedback`` | JSON ``{"input_id": ID, "label": LABEL}`` -> whether the answer was correct |
| ``GET /healthz`` | 200 while the process serves |
| ``GET /readyz`` | 200 once the program is loaded and warmed up, else 503 |
| ``GET /metrics`` | Prometheus text (``fmpc.deploy.metrics``) |

The program loads in a background thread when the server starts, so ``/healthz`` answers at
once and ``/readyz`` tells when to send traffic. Bad input is a 4xx with ``{"error": MESSAGE}``
saying what is wrong: 400 an undecodable image or body, 404 an unknown input id, 409 a
duplicate, 410 an expired one, 415 another content type, 422 a malformed label or request;
503 before the program is ready. An input the program could not answer is 502 when a backend
failed (the answer's ``error`` and ``sites`` say which), 422 when the program failed on it.
Nothing returns a traceback. At shutdown the program's learned state is saved.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fmpc.deploy.feedback import DuplicateInputError, FeedbackError
from fmpc.deploy.images import ImageError
from fmpc.deploy.labels import LabelError
from fmpc.deploy.metrics import HttpMetrics, registry_for
from fmpc.deploy.program import Program

LOG = logging.getLogger("fmpc.serve")

MAX_BODY = 64 * 1024 * 1024
"""The largest request body accepted (bytes)."""

_ENDPOINTS = ("/v1/answer", "/v1/feedback", "/healthz", "/readyz", "/metrics")
_REFUSED = {"unknown": 404, "duplicate": 409, "expired": 410}


class HttpProblem(Exception):
    """A request that cannot be served: ``status`` and the message returned as ``error``."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


class AnswerRequest(BaseModel):
    """The JSON body of ``POST /v1/answer``."""

    model_config = ConfigDict(extra="forbid")

    image: str = Field(min_length=1, description="the image file (PNG, JPEG...) in base64")
    input_id: str | None = Field(default=None, min_length=1, max_length=256)


class FeedbackRequest(BaseModel):
    """The JSON body of ``POST /v1/feedback``."""

    model_config = ConfigDict(extra="forbid")

    input_id: str = Field(min_length=1, max_length=256)
    label: Any = None


class ServedProgram:
    """The program a server serves, loaded by ``loader`` in a background thread."""

    def __init__(self, loader: Callable[[], Program]) -> None:
        self._loader = loader
        self.program: Program | None = None
        self.error: str | None = None
        self.started = time.monotonic()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Load the program in the background."""
        self._thread = threading.Thread(target=self._load, name="fmpc-load", daemon=True)
        self._thread.start()

    def _load(self) -> None:
        try:
            self.program = self._loader()
            LOG.info("ready in %.1f s", time.monotonic() - self.started)
        except Exception as exc:  # reported by /readyz and every request
            self.error = f"{type(exc).__name__}: {exc}"
            LOG.error("the program cannot be served: %s", self.error)

    def require(self) -> Program:
        """The ready program, or a 503 saying why there is none."""
        program = self.program
        if program is not None and program.ready:
            return program
        if self.error is not None:
            raise HttpProblem(503, f"the program failed to load: {self.error}")
        raise HttpProblem(503, "the program is loading and warming up; retry shortly")

    def stop(self) -> None:
        """Wait for a load in progress, then close the program, saving its learned state."""
        if self._thread is not None:
            self._thread.join()
        if self.program is not None:
            self.program.close(save=True)
            LOG.info("learned state saved")


def create_app(loader: Callable[[], Program]) -> FastAPI:
    """The service of the program ``loader()`` returns (called once, in the background, when
    the server starts); see the module docstring."""
    served = ServedProgram(loader)
    registry, http_metrics = registry_for(lambda: served.program)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        served.start()
        yield
        await run_in_threadpool(served.stop)

    app = FastAPI(title="fmpc", lifespan=lifespan)
    app.state.served = served
    app.add_middleware(Measured, metrics=http_metrics)

    @app.exception_handler(HttpProblem)
    async def problem(request: Request, exc: HttpProblem) -> JSONResponse:
        return _error(exc.status, str(exc))

    @app.post("/v1/answer")
    async def answer(request: Request) -> JSONResponse:
        program = served.require()
        image, input_id = await _answer_input(request)
        try:
            result = await run_in_threadpool(program.answer, image, input_id)
        except ImageError as exc:
            raise HttpProblem(400, f"image: {exc}") from None
        except DuplicateInputError as exc:
            raise HttpProblem(409, str(exc)) from None
        body = result.to_json()
        if result.ok:
            return JSONResponse(body)
        failed_backend = any(not use.ok for use in result.sites)
        return JSONResponse(body, status_code=502 if failed_backend else 422)

    @app.post("/v1/feedback")
    async def feedback(request: Request) -> JSONResponse:
        program = served.require()
        data = _model(FeedbackRequest, await _json(request))
        try:
            result = await run_in_threadpool(program.feedback, data.input_id, data.label)
        except LabelError as exc:
            raise HttpProblem(422, f"label: {exc}") from None
        except FeedbackError as exc:
            raise HttpProblem(_REFUSED.get(exc.reason, 400), str(exc)) from None
        return JSONResponse(result.__dict__)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        program = served.program
        if program is not None and program.ready:
            return JSONResponse({"status": "ready", "program": program.name})
        if served.error is not None:
            return JSONResponse({"status": "failed", "error": served.error}, status_code=503)
        return JSONResponse({"status": "loading"}, status_code=503)

    @app.get("/metrics")
    async def metrics() -> Response:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        text = await run_in_threadpool(generate_latest, registry)
        return Response(text, media_type=CONTENT_TYPE_LATEST)

    return app


class Measured:
    """ASGI middleware counting every HTTP request by endpoint and status, with its latency;
    an exception escaping the app (a bug) is logged with its traceback and answered with a 500
    that has none."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        started = False

        async def sending(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = int(message["status"]), True
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception:  # a bug: logged with its traceback, answered without one
            LOG.exception("error serving %s", scope.get("path"))
            if not started:
                await _error(500, "internal error (logged by the server)")(scope, receive, send)
        path = scope.get("path", "")
        endpoint = path if path in _ENDPOINTS else "other"
        self.metrics.observe(endpoint, status, time.perf_counter() - start)


# ---------------------------------------------------------------- request bodies


async def _answer_input(request: Request) -> tuple[bytes, str | None]:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        return await _form_input(request)
    if kind not in ("application/json", ""):
        raise HttpProblem(
            415, f"send the image as JSON (base64) or as a multipart form, not {kind!r}"
        )
    data = _model(AnswerRequest, await _json(request))
    text = data.image.split(",", 1)[1] if data.image.startswith("data:") else data.image
    try:
        return base64.b64decode(text, validate=True), data.input_id
    except (binascii.Error, ValueError):
        raise HttpProblem(400, "image: not valid base64") from None


async def _form_input(request: Request) -> tuple[bytes, str | None]:
    try:
        form = await request.form(max_part_size=MAX_BODY)
    except Exception as exc:  # the multipart parser's several errors
        raise HttpProblem(400, f"the multipart body cannot be read ({exc})") from None
    upload = form.get("image")
    if not isinstance(upload, UploadFile):
        raise HttpProblem(422, "the form needs a file field 'image'")
    data = await upload.read()
    input_id = form.get("input_id")
    if input_id is not None and (not isinstance(input_id, str) or not 0 < len(input_id) <= 256):
        raise HttpProblem(422, "input_id: expected a text field of 1 to 256 characters")
    return data, input_id


async def _json(request: Request) -> Any:
    body = await request.body()
    if len(body) > MAX_BODY:
        raise HttpProblem(413, f"the body is larger than {MAX_BODY} bytes")
    import json

    try:
        return json.loads(body)
    except ValueError as exc:
        raise HttpProblem(400, f"the body is not valid JSON ({exc})") from None


def _model(model: type[BaseModel], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()
        )
        raise HttpProblem(422, problems) from None


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)
