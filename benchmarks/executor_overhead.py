"""Executor overhead per call-site execution, excluding backend compute.

A 10-site program runs with instant backends (a Python function returning a constant), so
almost all of the measured time is the executor's own: interpreting the program, asking the
policy, recording the trace, hashing arguments for the cache. Reported per site execution,
beside the reference interpreter calling the same functions directly (no policy, no trace)::

    .venv/bin/python benchmarks/executor_overhead.py [--inputs 2000] [--repeats 5]

Prints a table and, last, one JSON line. Target: <= 0.2 ms per site execution.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from fmpc.frontend import compile_source
from fmpc.policies.simple import RandomPolicy, StaticPolicy
from fmpc.runtime.backends import BackendTable, CallableBackend
from fmpc.runtime.cache import ExecutionCache
from fmpc.runtime.executor import Executor
from fmpc.semantics.interpreter import Interpreter
from fmpc.semantics.values import ImageValue

SITES = 10
PROGRAM = (
    "def execute_command(image):\n"
    "    p = ImagePatch(image)\n"
    "    return " + " + ".join(f'len(p.find("{digit}"))' for digit in range(SITES)) + "\n"
)


def instant_find(patch: Any, name: str) -> list[Any]:
    """A ``find`` backend that does no work."""
    return []


def images(n: int) -> list[ImageValue]:
    """``n`` tiny inputs with distinct ids."""
    pixels = np.zeros((8, 8, 3), dtype=np.float32)
    return [ImageValue(pixels, id=f"input-{i}") for i in range(n)]


def per_site_ms(
    run: Callable[[list[ImageValue]], Any], inputs: list[ImageValue], repeats: int
) -> float:
    """Median over ``repeats`` of the wall time per site execution, in ms."""
    run(inputs[:50])  # warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run(inputs)
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times) / (len(inputs) * SITES)


def measure(n: int, repeats: int) -> dict[str, float]:
    """Milliseconds per site execution for each way of running the program."""
    module = compile_source(PROGRAM, "ten_sites.py")
    table = BackendTable.of(
        CallableBackend(name, "find", instant_find, cost)
        for name, cost in (("small", 1.0), ("large", 10.0))
    )
    inputs = images(n)
    reference = Interpreter(module, {"find": instant_find})
    static = Executor(module, table, StaticPolicy("smallest"))
    random = Executor(module, table, RandomPolicy(0))
    assert all(len(static.run(i).trace.calls) == SITES for i in inputs[:3])

    def cached(batch: list[ImageValue]) -> None:
        executor = Executor(
            module, table, StaticPolicy("smallest"), cache=ExecutionCache(n * SITES)
        )
        for image in batch:
            executor.run(image)

    return {
        "reference_interpreter": per_site_ms(
            lambda b: [reference.run(i) for i in b], inputs, repeats
        ),
        "executor_static": per_site_ms(lambda b: [static.run(i) for i in b], inputs, repeats),
        "executor_random": per_site_ms(lambda b: [random.run(i) for i in b], inputs, repeats),
        "executor_static_cache_misses": per_site_ms(cached, inputs, repeats),
        "executor_static_window16": per_site_ms(
            lambda b: [static.run_window(b[k : k + 16]) for k in range(0, len(b), 16)],
            inputs,
            repeats,
        ),
    }


def main() -> None:
    """Measure and print the table and the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=2000, help="inputs per repeat (default 2000)")
    parser.add_argument("--repeats", type=int, default=5, help="repeats; the median is reported")
    args = parser.parse_args()
    results = measure(args.inputs, args.repeats)
    table = Table(title=f"ms per site execution ({SITES}-site program, instant backends)")
    table.add_column("how")
    table.add_column("ms / site execution", justify="right")
    for how, ms in results.items():
        table.add_row(how, f"{ms:.4f}")
    Console().print(table)
    machine = (
        f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}"
    )
    print(json.dumps({"ms_per_site_execution": results, "target_ms": 0.2, "machine": machine}))


if __name__ == "__main__":
    main()
