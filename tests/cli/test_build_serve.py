"""``fmpc build`` and ``fmpc serve``, and how ``fmpc run`` meets them: an artifact runs like its
program, a ``fmpc run PROG.py`` checkpoint builds into an artifact (the same site ids), answers
go to ``--output``, fallbacks are counted; ``fmpc serve`` (a real process) saves on SIGTERM and
resumes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from PIL import Image

from fmpc.cli.main import main
from tests.cli.test_run import fmpc_run
from tests.deploy.conftest import images, write_program_files


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    made = {**write_program_files(tmp_path), "inputs": tmp_path / "inputs"}
    made["inputs"].mkdir()
    for i, image in enumerate(images(6)):
        Image.fromarray(image).save(made["inputs"] / f"img{i}.png")
    return made


def test_build_then_run_the_artifact(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "seven.fmpa"
    argv = ["build", str(files["program"]), "--backends", str(files["config"]), "-o", str(out)]
    assert main([*argv, "--policy", "static:largest", "--image-size", "16x16"]) == 0
    printed = capsys.readouterr().out
    assert "policy static:largest" in printed and "exported exists/large: 4 computations" in printed
    answers = tmp_path / "answers.jsonl"
    status, stdout, _ = fmpc_run(
        str(out), "--inputs", str(files["inputs"]), "--output", str(answers), "--json"
    )
    assert status == 0
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert summary["inputs_seen"] == 6 and summary["policy"] == "static:largest"
    assert summary["backend_counts"] == {"0": {"large": 6}}
    lines = [json.loads(line) for line in answers.read_text().splitlines()]
    assert [line["id"] for line in lines] == [f"img{i}.png" for i in range(6)]
    assert all(
        line["backends"] == {"0": ["large"]} and line["answer"] in ("yes", "no") for line in lines
    )
    assert all(line["cost"] > 0 and line["error"] is None for line in lines)


def test_a_run_checkpoint_builds_into_an_artifact(files: dict[str, Path], tmp_path: Path) -> None:
    checkpoint = tmp_path / "ckpt"
    jsonl = tmp_path / "stream.jsonl"
    jsonl.write_text(
        "".join(
            json.dumps({"image": str(p), "label": "yes"}) + "\n"
            for p in sorted(files["inputs"].iterdir())
        )
    )
    status, _, err = fmpc_run(
        str(files["program"]),
        "--inputs",
        str(jsonl),
        "--backends",
        str(files["config"]),
        "--policy",
        "neural-ts:k=2",
        "--checkpoint",
        str(checkpoint),
    )
    assert status == 0, err
    out = tmp_path / "learned.fmpa"
    argv = ["build", str(files["program"]), "--backends", str(files["config"]), "-o", str(out)]
    assert main([*argv, "--policy", "neural-ts:k=2", "--from-checkpoint", str(checkpoint)]) == 0
    from fmpc.deploy.artifact import open_artifact
    from fmpc.deploy.program import ServeOptions, load

    assert open_artifact(out).state_step == 6
    program = load(out, ServeOptions(warm_up=False))
    try:
        assert program.parts.policy.report()["inputs_learned"] == 6
    finally:
        program.close(save=False)


def test_a_checkpoint_of_the_unoptimized_program_is_refused(
    files: dict[str, Path], tmp_path: Path
) -> None:
    program = tmp_path / "two.py"
    program.write_text(
        "def execute_command(image) -> str:\n"
        "    patch = ImagePatch(image)\n"
        "    if patch.exists('7') and patch.exists('7'):\n"
        "        return 'yes'\n"
        "    return 'no'\n"
    )
    checkpoint = tmp_path / "ckpt"
    status, _, err = fmpc_run(
        str(program),
        "--inputs",
        str(files["inputs"]),
        "--backends",
        str(files["config"]),
        "--policy",
        "neural-ts",
        "--checkpoint",
        str(checkpoint),
        "-p",
        "",
    )
    assert status == 0, err
    argv = [
        "build",
        str(program),
        "--backends",
        str(files["config"]),
        "-o",
        str(tmp_path / "x.fmpa"),
    ]
    assert main([*argv, "--policy", "neural-ts", "--from-checkpoint", str(checkpoint)]) == 1


def test_fallbacks_are_counted_per_backend(files: dict[str, Path]) -> None:
    status, stdout, _ = fmpc_run(
        str(files["program"]),
        "--inputs",
        str(files["inputs"]),
        "--backends",
        str(files["fallback"]),
        "--policy",
        "static:smallest",
        "--json",
    )
    assert status == 0
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert summary["errors"] == 0
    assert summary["backend_failures"] == {"exists/flaky": 6}
    assert summary["fallbacks"] == {"exists/flaky->large": 6}
    status, table, _ = fmpc_run(
        str(files["program"]),
        "--inputs",
        str(files["inputs"]),
        "--backends",
        str(files["fallback"]),
        "--policy",
        "static:smallest",
    )
    assert "fallbacks: exists/flaky->large: 6" in table


@pytest.mark.parametrize(
    ("program", "config", "extra", "message"),
    [
        ("bad.py", "backends.yaml", [], "bad.py:"),
        ("seven.py", "none.yaml", [], "none.yaml: no such backend config"),
        ("seven.py", "backends.yaml", ["--policy", "nope"], "unknown policy 'nope'"),
    ],
)
def test_build_errors_are_messages(
    files: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    program: str,
    config: str,
    extra: list[str],
    message: str,
) -> None:
    (tmp_path / "bad.py").write_text("def execute_command(image):\n    return find(\n")
    out = tmp_path / "o.fmpa"
    argv = ["build", str(tmp_path / program), "--backends", str(tmp_path / config), "-o", str(out)]
    assert main([*argv, *extra]) == 1
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_backends_check_resolves_targets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "b.yaml"
    config.write_text(
        "version: 1\nfunctions:\n  exists:\n"
        "    - {name: a, type: callable, target: 'nosuchmod:f', cost: 1}\n"
        "    - {name: b, type: jax, target: 'tests.deploy.models:tiny_backend', io: 'tests.deploy.models:nothing'}\n"
    )
    assert main(["backends", "check", str(config)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(
        f"{config}:4:33: error: functions.exists[0].target: cannot import module 'nosuchmod'"
    )
    assert out[1].startswith(
        f"{config}:5:72: error: functions.exists[1].io: "
        "module 'tests.deploy.models' has no attribute 'nothing'"
    )
    assert main(["backends", "check", "--no-resolve", str(config)]) == 0


def _step(artifact: Path) -> int:
    return int(json.loads((artifact / "manifest.json").read_text())["state"]["step"])


def _serve(artifact: Path, port: int, log: Path) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "fmpc.cli",
        "serve",
        str(artifact),
        "--port",
        str(port),
        "--checkpoint-every",
        "4",
    ]
    return subprocess.Popen(command, stdout=log.open("w"), stderr=subprocess.STDOUT)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ready(url: str, process: subprocess.Popen, timeout: float = 120) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        assert process.poll() is None, "the server exited"
        try:
            if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                return time.monotonic() - start
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("the server never became ready")


@pytest.mark.slow
def test_fmpc_serve_saves_on_sigterm_and_loses_little_on_kill(
    files: dict[str, Path], tmp_path: Path
) -> None:
    import base64
    import io

    out = tmp_path / "seven.fmpa"
    argv = ["build", str(files["program"]), "--backends", str(files["config"]), "-o", str(out)]
    assert main([*argv, "--policy", "neural-ts:k=4", "--image-size", "16x16"]) == 0

    def drive(url: str, prefix: str, n: int) -> None:
        with httpx.Client(base_url=url, timeout=30) as client:
            for i, image in enumerate(images(n, seed=len(prefix))):
                buffer = io.BytesIO()
                Image.fromarray(image).save(buffer, format="PNG")
                body = {
                    "image": base64.b64encode(buffer.getvalue()).decode(),
                    "input_id": f"{prefix}{i}",
                }
                assert client.post("/v1/answer", json=body).status_code == 200
                assert (
                    client.post(
                        "/v1/feedback", json={"input_id": f"{prefix}{i}", "label": "yes"}
                    ).status_code
                    == 200
                )

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = _serve(out, port, tmp_path / "first.log")
    try:
        _ready(url, server)
        drive(url, "a", 6)
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(60) in (0, -signal.SIGTERM)  # uvicorn re-raises it once shut down
    assert "learned state saved" in (tmp_path / "first.log").read_text()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["state"]["step"] == 6  # everything, saved at shutdown

    server = _serve(out, port, tmp_path / "second.log")
    try:
        _ready(url, server)
        text = httpx.get(f"{url}/metrics").text
        assert "fmpc_policy_inputs_learned 6.0" in text
        drive(url, "bb", 6)
        deadline = time.monotonic() + 60  # the periodic checkpoint after feedback 4 is written
        while _step(out) < 10 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait(60)
    step = _step(out)
    assert 6 + 4 <= step <= 6 + 6  # at most the feedback since the last checkpoint is lost
    assert os.path.isdir(out / "state" / str(step))
