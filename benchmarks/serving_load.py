"""Load test of ``fmpc serve``: a real uvicorn server, httpx clients on 127.0.0.1.

For each policy (``static:smallest`` and ``neural-ts`` by default) it builds an artifact of the
program on the shipped zoo (``fmpc build``), starts ``fmpc serve`` in its own process, measures
the time from starting it to ``/readyz`` answering 200, warms it up, and then, for each number of
concurrent clients, sends answers each followed by its feedback (the label from the embedded
world's perfect perception) and measures requests per second and answer latency (p50, p99).
After each run it reads ``/metrics`` to check that no feedback was lost (every feedback sent
was learned, none refused or skipped). Everything is bounded: ``--requests`` answers per run and
``--seconds`` at most per run; the server is stopped with SIGTERM (it saves its state)::

    .venv/bin/python benchmarks/serving_load.py [--clients 8,32] [--requests 400] [--seconds 60]
        [--policies static:smallest,neural-ts] [--program examples/red_seven.py] [--json OUT]

Prints a table and, last, one JSON line; ``uptime``'s load averages are recorded before and
after, since the figures depend on what else the machine runs.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent


def load_averages() -> list[float]:
    """The 1, 5 and 15 minute load averages."""
    return [round(x, 2) for x in os.getloadavg()]


def stream(program: Path, n: int, seed: int) -> list[tuple[str, Any]]:
    """``n`` scenes of the embedded world as (base64 PNG, label)."""
    from fmpc.frontend import compile_file
    from fmpc.runtime.inputs import world_inputs

    items = []
    for item in world_inputs(compile_file(program), n, world="digits", seed=seed):
        pixels = np.round(np.asarray(item.image.pixels) * 255).astype(np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, format="PNG")
        label = item.label if item.labelled else "no"
        items.append((base64.b64encode(buffer.getvalue()).decode("ascii"), label))
    return items


def build(program: Path, policy: str, out: Path) -> float:
    """Build the artifact; returns the seconds it took."""
    start = time.perf_counter()
    command = [sys.executable, "-m", "fmpc.cli", "build", str(program), "--policy", policy]
    subprocess.run([*command, "-o", str(out)], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(artifact: Path, port: int, log: Path) -> tuple[subprocess.Popen[bytes], float]:
    """Start ``fmpc serve`` and wait for ``/readyz``; the process and the seconds to ready."""
    command = [sys.executable, "-m", "fmpc.cli", "serve", str(artifact), "--port", str(port)]
    start = time.perf_counter()
    process = subprocess.Popen(
        [*command, "--log-level", "warning"],
        cwd=ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/readyz"
    while time.perf_counter() - start < 300:
        if process.poll() is not None:
            raise RuntimeError(f"fmpc serve exited; see {log}")
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return process, time.perf_counter() - start
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    process.kill()
    raise RuntimeError("fmpc serve was not ready within 300 s")


async def drive(
    url: str, items: list[tuple[str, Any]], clients: int, requests: int, seconds: float, tag: str
) -> dict[str, Any]:
    """``clients`` concurrent clients sending ``requests`` answers in all (each followed by its
    feedback), for at most ``seconds``."""
    latencies: list[float] = []
    feedback_ok = feedback_failed = answer_failed = 0
    counter = iter(range(requests))
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal feedback_ok, feedback_failed, answer_failed
        for n in counter:
            if time.perf_counter() > deadline:
                return
            image, label = items[n % len(items)]
            input_id = f"{tag}-{n}"
            start = time.perf_counter()
            answer = await http.post("/v1/answer", json={"image": image, "input_id": input_id})
            latencies.append(time.perf_counter() - start)
            if answer.status_code != 200:
                answer_failed += 1
                continue
            feedback = await http.post("/v1/feedback", json={"input_id": input_id, "label": label})
            if feedback.status_code == 200:
                feedback_ok += 1
            else:
                feedback_failed += 1

    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
        start = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        elapsed = time.perf_counter() - start
    ordered = sorted(latencies)
    return {
        "answers": len(latencies),
        "seconds": round(elapsed, 3),
        "requests_per_s": round(len(latencies) / elapsed, 2),
        "p50_ms": round(1000 * statistics.median(ordered), 2),
        "p90_ms": round(1000 * ordered[min(len(ordered) - 1, int(0.90 * len(ordered)))], 2),
        "p99_ms": round(1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 2),
        "answers_failed": answer_failed,
        "feedback_sent": feedback_ok + feedback_failed,
        "feedback_refused": feedback_failed,
    }


def metrics(url: str) -> dict[str, float]:
    """The unlabelled samples and the feedback samples of ``/metrics``."""
    values: dict[str, float] = {}
    for line in httpx.get(f"{url}/metrics", timeout=30).text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, _, value = line.rpartition(" ")
        values[name] = float(value)
    return values


def learned(values: dict[str, float]) -> dict[str, float]:
    """What the server says it did with the feedback."""
    refused = sum(v for k, v in values.items() if k.startswith("fmpc_feedback_refused_total"))
    skipped = sum(v for k, v in values.items() if k.startswith("fmpc_feedback_skipped_total"))
    return {
        "feedback_total": values.get("fmpc_feedback_total", 0.0),
        "feedback_refused": refused,
        "feedback_skipped": skipped,
        "feedback_pending": values.get("fmpc_feedback_pending", 0.0),
        "policy_updates": values.get("fmpc_policy_updates_total", 0.0),
        "inputs_learned": values.get("fmpc_policy_inputs_learned", 0.0),
        "answers": values.get("fmpc_answers_total", 0.0),
        "cost": sum(v for k, v in values.items() if k.startswith("fmpc_backend_cost_total")),
    }


def run_policy(policy: str, args: argparse.Namespace, items: list, work: Path) -> dict[str, Any]:
    """Build, serve, warm up and load one policy's artifact."""
    artifact = work / f"{policy.replace(':', '-')}.fmpa"
    built_s = 0.0 if artifact.exists() else build(args.program, policy, artifact)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process, ready_s = serve(artifact, port, work / f"{artifact.stem}.log")
    try:
        warm = asyncio.run(drive(url, items, 8, args.warmup, args.seconds, "warm"))
        before = learned(metrics(url))
        runs = []
        for clients in args.clients:
            tag = f"c{clients}"
            result = asyncio.run(drive(url, items, clients, args.requests, args.seconds, tag))
            time.sleep(1.0)  # let the learner take the last feedback
            after = learned(metrics(url))
            result["clients"] = clients
            key = "inputs_learned" if after["inputs_learned"] else "feedback_total"
            result["feedback_learned"] = after[key] - before[key]
            result["feedback_lost"] = result["feedback_sent"] - result["feedback_learned"]
            result["policy_updates"] = after["policy_updates"] - before["policy_updates"]
            answered = after["answers"] - before["answers"]
            result["mean_mflops"] = round((after["cost"] - before["cost"]) / answered / 1e6, 2)
            result["refused_or_skipped"] = (
                after["feedback_refused"]
                + after["feedback_skipped"]
                - before["feedback_refused"]
                - before["feedback_skipped"]
            )
            before = after
            runs.append(result)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(120)
    return {
        "policy": policy,
        "build_s": round(built_s, 1),
        "ready_s": round(ready_s, 2),
        "warmup_answers": warm["answers"],
        "runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--program", type=Path, default=ROOT / "examples" / "red_seven.py")
    parser.add_argument("--policies", default="static:smallest,neural-ts")
    parser.add_argument("--clients", default="8,32")
    parser.add_argument("--requests", type=int, default=400, help="answers per run")
    parser.add_argument("--warmup", type=int, default=96, help="answers before measuring")
    parser.add_argument("--seconds", type=float, default=60.0, help="at most, per run")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--artifacts", type=Path, help="keep the artifacts here (and reuse those already built)"
    )
    args = parser.parse_args()
    args.clients = [int(c) for c in args.clients.split(",")]
    load_before = load_averages()
    items = stream(args.program, 256, args.seed)
    results = []
    with tempfile.TemporaryDirectory(prefix="fmpc-load-") as scratch:
        work = args.artifacts or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        for policy in args.policies.split(","):
            results.append(run_policy(policy, args, items, work))
    report = {
        "program": args.program.name,
        "cpus": os.cpu_count(),
        "load_before": load_before,
        "load_after": load_averages(),
        "results": results,
    }
    show(report)
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report))


def show(report: dict[str, Any]) -> None:
    """The results as a table."""
    table = Table(title=f"fmpc serve: {report['program']} (load {report['load_before']})")
    columns = ("policy", "ready s", "clients", "req/s", "p50 ms", "p90 ms", "p99 ms")
    columns += ("p99/p50", "MFLOPs/answer", "feedback sent", "lost", "updates")
    for column in columns:
        table.add_column(column, justify="right")
    for result in report["results"]:
        for run in result["runs"]:
            table.add_row(
                result["policy"],
                f"{result['ready_s']:.1f}",
                str(run["clients"]),
                f"{run['requests_per_s']:.1f}",
                f"{run['p50_ms']:.1f}",
                f"{run['p90_ms']:.1f}",
                f"{run['p99_ms']:.1f}",
                f"{run['p99_ms'] / run['p50_ms']:.2f}",
                f"{run['mean_mflops']:.1f}",
                str(run["feedback_sent"]),
                str(int(run["feedback_lost"] + run["refused_or_skipped"])),
                str(int(run["policy_updates"])),
            )
    Console(stderr=True, width=160).print(table)


if __name__ == "__main__":
    main()
