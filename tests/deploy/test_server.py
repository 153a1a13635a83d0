"""``fmpc serve``'s service, on a real uvicorn server on a free loopback port, driven by httpx:
answers, feedback, health, metrics, bad input, failing backends, restart with resume."""

from __future__ import annotations

import base64
import io
import threading
from pathlib import Path

from PIL import Image

from fmpc.deploy.program import ServeOptions, compile, load
from tests.deploy.conftest import images
from tests.deploy.server import RunningServer


def png(array) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def as_json(array, input_id: str | None = None) -> dict:
    body = {"image": base64.b64encode(png(array)).decode("ascii")}
    return body if input_id is None else {**body, "input_id": input_id}


def metric(text: str, name: str) -> float:
    """The value of the sample line ``name`` (with its labels) in Prometheus text."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"no sample {name} in the metrics")


def test_answers_feedback_health_and_metrics(artifact: Path) -> None:
    with RunningServer(lambda: load(artifact)) as server, server.client() as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        server.wait_ready()
        assert client.get("/readyz").json() == {"status": "ready", "program": "seven.py"}
        first, second = images(2)
        answer = client.post("/v1/answer", json=as_json(first, "req-1"))
        assert answer.status_code == 200
        body = answer.json()
        assert body["input_id"] == "req-1" and body["answer"] in ("yes", "no")
        assert body["sites"][0]["fn"] == "exists" and body["cost"] > 0 and body["trace_id"]
        upload = client.post(
            "/v1/answer",
            files={"image": ("x.png", png(second), "image/png")},
            data={"input_id": "req-2"},
        )
        assert upload.status_code == 200 and upload.json()["input_id"] == "req-2"
        anonymous = client.post("/v1/answer", json=as_json(first)).json()
        assert len(anonymous["input_id"]) == 32
        feedback = client.post("/v1/feedback", json={"input_id": "req-1", "label": body["answer"]})
        assert feedback.status_code == 200
        assert feedback.json() == {
            "input_id": "req-1",
            "correct": True,
            "loss": 0.0,
            "learned": True,
        }
        text = client.get("/metrics").text
    backend = body["sites"][0]["backend"]
    assert metric(text, "fmpc_ready") == 1.0
    assert metric(text, "fmpc_answers_total") == 3.0
    assert metric(text, "fmpc_feedback_total") == 1.0
    assert metric(text, "fmpc_feedback_pending") == 2.0
    assert metric(text, 'fmpc_http_requests_total{endpoint="/v1/answer",status="200"}') == 3.0
    assert 'fmpc_http_request_seconds_bucket{endpoint="/v1/answer",le="0.25"}' in text
    assert (
        f'fmpc_backend_calls_total{{backend="{backend}",function="exists",site="0",via="policy"}}'
        in text
    )
    assert "fmpc_backend_cost_total" in text and "fmpc_policy_updates_total" in text


def test_bad_input_gets_a_clear_4xx(artifact: Path) -> None:
    options = ServeOptions(pending=1)
    with RunningServer(lambda: load(artifact, options)) as server, server.client() as client:
        server.wait_ready()
        post = client.post
        image = images(1)[0]
        cases = [
            (post("/v1/answer", json={"image": "bm90IGFuIGltYWdl"}), 400, "not an image format"),
            (post("/v1/answer", json={"image": "@@@"}), 400, "not valid base64"),
            (post("/v1/answer", json={"picture": "x"}), 422, "image: Field required"),
            (
                post("/v1/answer", content=b"{", headers={"content-type": "application/json"}),
                400,
                "not valid JSON",
            ),
            (
                post("/v1/answer", content=b"x", headers={"content-type": "text/plain"}),
                415,
                "multipart form",
            ),
            (post("/v1/answer", files={"other": ("x", b"x")}), 422, "file field 'image'"),
            (
                post("/v1/feedback", json={"input_id": "nobody", "label": "yes"}),
                404,
                "no answer was given",
            ),
        ]
        assert post("/v1/answer", json=as_json(image, "a")).status_code == 200
        cases.append(
            (post("/v1/answer", json=as_json(image, "a")), 409, "still awaits its feedback")
        )
        cases.append(
            (post("/v1/feedback", json={"input_id": "a", "label": [1]}), 422, "got a list")
        )
        cases.append(
            (post("/v1/feedback", json={"input_id": "a", "label": 7}), 422, "expected a string")
        )
        assert post("/v1/feedback", json={"input_id": "a", "label": "no"}).status_code == 200
        cases.append(
            (post("/v1/feedback", json={"input_id": "a", "label": "no"}), 409, "already got")
        )
        post("/v1/answer", json=as_json(image, "b"))
        post("/v1/answer", json=as_json(image, "c"))  # the store holds one: b is dropped
        cases.append((post("/v1/feedback", json={"input_id": "b", "label": "no"}), 410, "dropped"))
        for response, status, message in cases:
            assert response.status_code == status, response.text
            assert message in response.json()["error"]
            assert "Traceback" not in response.text
        text = client.get("/metrics").text
    assert metric(text, 'fmpc_feedback_refused_total{reason="unknown"}') == 1.0
    assert metric(text, 'fmpc_feedback_refused_total{reason="duplicate"}') == 1.0
    assert metric(text, 'fmpc_feedback_refused_total{reason="expired"}') == 1.0
    assert metric(text, "fmpc_feedback_malformed_total") == 2.0


def test_not_ready_until_loaded(artifact: Path) -> None:
    release = threading.Event()

    def slow_load():
        release.wait(60)
        return load(artifact)

    with RunningServer(slow_load) as server, server.client() as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").json() == {"status": "loading"}
        refused = client.post("/v1/answer", json=as_json(images(1)[0]))
        assert refused.status_code == 503 and "warming up" in refused.json()["error"]
        release.set()
        server.wait_ready()


def test_a_program_that_fails_to_load_says_why(tmp_path: Path) -> None:
    with (
        RunningServer(lambda: load(tmp_path / "missing.fmpa")) as server,
        server.client() as client,
    ):
        for _ in range(200):
            status = client.get("/readyz").json()
            if status["status"] == "failed":
                break
            threading.Event().wait(0.05)
        assert status["status"] == "failed" and "no such artifact" in status["error"]
        assert "failed to load" in client.post("/v1/answer", json={"image": "x"}).json()["error"]


def test_failing_backends_are_counted_and_visible(
    program_files: dict[str, Path], tmp_path: Path
) -> None:
    only_broken = tmp_path / "broken.yaml"
    only_broken.write_text(
        "version: 1\nfunctions:\n  exists:\n"
        "    - {name: flaky, type: callable, target: 'tests.deploy.models:broken', cost: 1}\n"
    )
    for config, status in ((program_files["fallback"], 200), (only_broken, 502)):

        def make(config=config):
            program = compile(program_files["program"], backends=config)
            return program

        with RunningServer(make) as server, server.client() as client:
            server.wait_ready()
            response = client.post("/v1/answer", json=as_json(images(1)[0]))
            assert response.status_code == status
            body = response.json()
            assert body["sites"][0] == {
                "site": 0,
                "fn": "exists",
                "backend": "flaky",
                "cost": 0.0,
                "via": "policy",
                "ok": False,
                "fell_back_from": None,
            }
            text = client.get("/metrics").text
        assert metric(text, 'fmpc_backend_failures_total{backend="flaky",function="exists"}') == 1.0
        if status == 200:
            assert body["sites"][1]["via"] == "fallback" and body["error"] is None
            assert (
                metric(
                    text,
                    'fmpc_fallbacks_total{from_backend="flaky",function="exists",to_backend="large"}',
                )
                == 1.0
            )
        else:
            assert "this backend is down" in body["error"]


def test_a_restart_resumes_the_learned_state(artifact: Path) -> None:
    with RunningServer(lambda: load(artifact)) as server, server.client() as client:
        server.wait_ready()
        for i, image in enumerate(images(8, seed=4)):
            answer = client.post("/v1/answer", json=as_json(image, f"r{i}")).json()
            client.post("/v1/feedback", json={"input_id": answer["input_id"], "label": "yes"})
        assert server.program is not None and server.program.learner.idle(timeout=60)
        learned = server.program.parts.policy.report()
    assert learned["inputs_learned"] == 8 and learned["policy_updates"] >= 1
    with RunningServer(lambda: load(artifact)) as server, server.client() as client:
        server.wait_ready()
        text = client.get("/metrics").text
        assert server.program.parts.policy.report() == learned
    assert metric(text, "fmpc_policy_inputs_learned") == 8.0
    assert metric(text, "fmpc_state_step") == 8.0
