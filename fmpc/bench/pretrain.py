"""Warm starts for the deferral policy, trained on the streams of other queries.

``python -m fmpc.bench.pretrain [--seed 1] [--binary-size 3000] [--open-size 600] [--folds 5]``
streams every shipped benchmark query on scenes drawn with ``--seed`` (never the benchmark's
seed 0), runs each input once with every site on its cheapest backend and once on its largest,
and records the deferral features of the cheap run, whether its answer was right, and whether
the large run's was. From these rows it fits the deferral policy's heads
(``fmpc.policies.deferral_model``) once on every query and once per leave-out **fold** (the
queries are split into ``--folds`` groups; each fold model never sees its group), and writes
them to ``fmpc/policies/weights/deferral.json``.

``fmpc bench`` gives each query's ``defer`` policy the fold model that never saw it (strictly
leave-one-query-out); ``defer`` elsewhere starts from the model trained on every query.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fmpc.bench.harness import compile_for_bench, plan_benchmark, routing_problem
from fmpc.policies.deferral import WARM_START, DeferralConfig, initial_heads, reference_cost
from fmpc.policies.deferral_features import image_statistics, run_features
from fmpc.policies.deferral_model import (
    Standardizer,
    WarmStart,
    fit_heads,
    write_warm_start,
)
from fmpc.policies.simple import StaticPolicy
from fmpc.runtime.executor import Executor
from fmpc.runtime.policy import answers_match
from fmpc.worlds.benchmarks import Stream

DEFAULT_SEED = 1
"""The streams' seed: anything but the benchmark's 0."""


@dataclass
class Rows:
    """One query's rows: features of the cheap run, whether it was wrong, whether the large
    run was right."""

    query: str
    features: np.ndarray
    wrong: np.ndarray
    large_right: np.ndarray


def collect(
    seed: int, binary_size: int, open_size: int, backends: Any, log: Any = print
) -> list[Rows]:
    """The rows of every shipped query whose program the backends can run."""
    from fmpc.passes import DEFAULT_PIPELINE

    out = []
    for task, size in (("binary", binary_size), ("open", open_size)):
        for query in plan_benchmark(task, stream_size=size).queries:
            module = compile_for_bench(query, DEFAULT_PIPELINE)
            if routing_problem(module, backends) is not None:
                continue
            start = time.perf_counter()
            out.append(_query_rows(query, module, Stream(query, seed, size), backends))
            log(f"{query.id}: {size} inputs, {time.perf_counter() - start:.1f} s")
    return out


def _query_rows(query: Any, module: Any, stream: Stream, backends: Any) -> Rows:
    small = Executor(module, backends.table, StaticPolicy("smallest"), costs=backends.costs)
    large = Executor(module, backends.table, StaticPolicy("largest"), costs=backends.costs)
    reference = reference_cost(small.sites)
    images = [stream.image(i) for i in range(len(stream))]
    stats = image_statistics(images)
    cheap = small.run_window(images)
    dear = large.run_window(images)
    labels = stream.labels
    features = np.stack(
        [run_features(r.answer, r.trace, s, reference) for r, s in zip(cheap, stats, strict=True)]
    )
    wrong = np.asarray([not _right(r, y) for r, y in zip(cheap, labels, strict=True)])
    large_right = np.asarray([_right(r, y) for r, y in zip(dear, labels, strict=True)])
    return Rows(query.id, features, wrong, large_right)


def _right(result: Any, label: Any) -> bool:
    return result.error is None and answers_match(result.answer, label)


def fit_warm_start(rows: Sequence[Rows], config: DeferralConfig) -> WarmStart:
    """The deferral heads fitted on ``rows`` (every re-check observed)."""
    x = np.concatenate([r.features for r in rows])
    wrong = np.concatenate([r.wrong for r in rows]).astype(np.float32)
    large_right = np.concatenate([r.large_right for r in rows]).astype(np.float32)
    ones = np.ones(len(x), np.float32)
    standardizer = Standardizer.of(x, ones)
    z = standardizer(x)
    heads = initial_heads(config)
    data = {
        "wrong": (wrong, ones),
        "fix": (large_right, wrong),
        "break": (1.0 - large_right, 1.0 - wrong),
    }
    fitted = fit_heads(heads, z, data, steps=400, learning_rate=0.02, prior=1.0)
    return WarmStart(tuple(r.query for r in rows), standardizer, fitted)


def folds(rows: Sequence[Rows], k: int) -> list[list[Rows]]:
    """``rows`` split into ``k`` groups of queries (every k-th query, so each group mixes
    tasks and types)."""
    return [list(rows[i::k]) for i in range(k)]


def main(argv: Sequence[str] | None = None) -> None:
    """The command (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m fmpc.bench.pretrain", description=__doc__)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--binary-size", type=int, default=3000)
    parser.add_argument("--open-size", type=int, default=600)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=WARM_START)
    args = parser.parse_args(argv)
    if args.seed == 0:
        parser.error("seed 0 draws the benchmark's own streams; pretrain on another seed")
    from fmpc.bench.harness import zoo_bench_backends

    started = time.perf_counter()
    rows = collect(args.seed, args.binary_size, args.open_size, zoo_bench_backends())
    config = DeferralConfig()
    groups = folds(rows, args.folds)
    starts = [fit_warm_start(rows, config)]
    for held_out in groups:
        starts.append(fit_warm_start([r for r in rows if r not in held_out], config))
    about = {
        "command": "python -m fmpc.bench.pretrain",
        "seed": args.seed,
        "binary_size": args.binary_size,
        "open_size": args.open_size,
        "folds": args.folds,
        "inputs": int(sum(len(r.wrong) for r in rows)),
        "seconds": round(time.perf_counter() - started, 1),
    }
    write_warm_start(args.out, starts, about)
    print(f"wrote {args.out}: {len(starts)} models from {about['inputs']} inputs")


if __name__ == "__main__":
    main()
