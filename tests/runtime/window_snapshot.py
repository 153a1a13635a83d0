"""What running a stream must produce, whatever way the executor runs a window: a snapshot of
the answers, costs and traces of several programs, policies and window sizes, and of the batch
sizes every backend was called with.

``tests/runtime/test_window_snapshot.py`` compares ``fake_snapshot()`` and ``zoo_snapshot()`` with
the files in ``tests/runtime/data/``, recorded by the thread-per-input window runner that the
coroutine scheduler replaced (``python -m tests.runtime.window_snapshot fake|zoo OUT.json``, run
in a checkout of that commit). Only public APIs that both executors share are used here.

The zoo snapshot holds for the weights it was recorded with (its ``weights`` digest). When the
zoo changes, record it again with the same runner on the new zoo: a copy of the current tree with
``fmpc/runtime/executor.py`` and ``fmpc/semantics/interpreter.py`` as they were at 99014be (the
last commit with the thread-per-input runner), with that copy first on ``PYTHONPATH``. Done with
the weights of 99014be, that reproduced the first ``window_zoo.json`` exactly; the file now in
``data/`` was recorded so on the zoo merged at 9f1b444. (That executor keys its cache by input id
and has no per-input limits; on these streams, unique ids and no limit reached, neither changes
anything.)

The fake backends charge each item ``base * (1 + 1 / bucket)`` for the padded batch bucket it
was served in, as ``JaxBackend`` charges ``flops / bucket``: a change in how a window's calls
are grouped into batches changes the costs, and the snapshot catches it. Their confidences
come from a digest of the arguments, so cascades escalate on some items and not others, and the
large backends fail on some items, with a fallback to the small ones.
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fmpc.passes import DEFAULT_PIPELINE, PassManager
from fmpc.runtime.backends import Args, BackendResult, BackendTable, BackendUnavailable
from fmpc.runtime.cache import ExecutionCache, args_digest
from fmpc.runtime.executor import Executor, run_stream
from fmpc.runtime.inputs import InputItem
from fmpc.runtime.policy import Episode, SiteInfo
from fmpc.runtime.trace import ExecutionResult
from fmpc.semantics.values import ImageValue, PatchValue

BUCKETS = (1, 2, 4, 8, 16, 32, 64)
FAKE_PROGRAMS = (
    "red_seven",
    "count_red_shapes",
    "any_red_digit",
    "all_small_digits",
    "digits_near_shapes_break",
    "skip_small_continue",
    "shapes_front_to_back",
    "nearest_to_cat",
    "best_match_striped",
    "three_way_and_or",
    "multiply_digits_llm",
)
FAKE_WINDOWS = (1, 3, 16)
ZOO_WINDOWS = (1, 8, 24)
ZOO_STREAM = 24
ZOO_QUERIES = ("red-7-left-of-circle", "count-digits")
CASCADE_FUNCTIONS = (
    "find",
    "exists",
    "verify_property",
    "best_text_match",
    "simple_query",
    "compute_depth",
    "llm_query",
)
CASCADE_PIPELINE = (
    "canonicalize,cse,dce,early-exit,cascade{threshold=0.7,backends={"
    + ",".join(f"{fn}=[small,large]" for fn in CASCADE_FUNCTIONS)
    + "}},batch"
)
PIPELINES = ("none", DEFAULT_PIPELINE, CASCADE_PIPELINE)


def show(value: Any) -> Any:
    """A JSON form of a runtime value that tells apart what equality would (floats by repr)."""
    if isinstance(value, PatchValue):
        return ["patch", value.image.id, list(value.box()), repr(value.score)]
    if isinstance(value, ImageValue):
        return ["image", value.id]
    if isinstance(value, list | tuple):
        return [show(item) for item in value]
    if isinstance(value, float):
        return repr(value)
    if value is None or isinstance(value, bool | int | str):
        return value
    return repr(value)


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The answers and costs of ``rows`` in clear, and a digest of everything else."""
    text = json.dumps(rows, sort_keys=True)
    return {
        "answers": [row["answer"] for row in rows],
        "costs": [row["cost"] for row in rows],
        "errors": sum(row["error"] is not None for row in rows),
        "digest": hashlib.blake2b(text.encode(), digest_size=16).hexdigest(),
    }


def result_row(result: ExecutionResult) -> dict[str, Any]:
    """One input's answer, cost, error and every call but its latency."""
    calls = [
        [
            c.site,
            c.fn,
            c.backend,
            c.via,
            c.execution,
            c.choice,
            repr(c.cost),
            c.cached,
            repr(c.confidence),
            show(c.output),
            c.error,
            c.fell_back_from,
        ]
        for c in result.trace.calls
    ]
    return {
        "input": result.input_id,
        "answer": show(result.answer),
        "cost": repr(result.cost),
        "policy_cost": repr(result.trace.policy_cost),
        "error": result.error,
        "calls": calls,
    }


# ---------------------------------------------------------------- the fake world


def _unit(args: Args, salt: str) -> float:
    """A number in [0, 1) fixed by the arguments' digest, images named by their ids (as the
    digest named them when the snapshots were recorded; the cache now names them by content)."""
    named = args_digest(args, lambda image: image.id)
    digest = hashlib.blake2b(named + salt.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") / 2**64


class Bucketed:
    """A fake backend charging per padded bucket and logging the size of every batch."""

    def __init__(self, name: str, function: str, fn: Callable[..., Any], base: float) -> None:
        self.name, self.function = name, function
        self._fn, self._base = fn, base
        self.batches: list[int] = []
        self._lock = threading.Lock()

    def cost(self, args: Args) -> float:
        return self._base * 2.0

    def __call__(self, batch: Sequence[Args]) -> list[BackendResult]:
        with self._lock:
            self.batches.append(len(batch))
        results = []
        for start in range(0, len(batch), BUCKETS[-1]):
            chunk = batch[start : start + BUCKETS[-1]]
            bucket = next(b for b in BUCKETS if b >= len(chunk))
            cost = self._base * (1.0 + 1.0 / bucket)
            results += [self._one(args, cost) for args in chunk]
        return results

    def _one(self, args: Args, cost: float) -> BackendResult:
        if self.name == "large" and _unit(args, "fail") < 0.15:
            return BackendResult.failure(BackendUnavailable("large is down for this item"), cost)
        confidence = 0.4 + 0.6 * _unit(args, self.name)
        return BackendResult(self._fn(*args), confidence, cost)


def fake_table() -> BackendTable:
    """Two bucketed backends per fake function; ``large`` falls back to ``small``."""
    from tests.fakes import fake_backends

    backends, fallbacks = [], {}
    for fn, f in fake_backends().items():
        backends += [Bucketed("small", fn, f, 1.0), Bucketed("large", fn, f, 10.0)]
        fallbacks[(fn, "large")] = "small"
    return BackendTable.of(backends, fallbacks)


class _RecheckEpisode(Episode):
    def __init__(self, sites: Mapping[int, SiteInfo]) -> None:
        self._sites = sites

    def decide(self, site: int, features: Mapping[str, float]) -> int:
        return 0

    def recheck(self, answer: Any, trace: Any) -> Mapping[int, int] | None:
        if answer in ("no", False, 0, [], "none"):
            return {s: len(info.backends) - 1 for s, info in self._sites.items()}
        return None


class RecheckPolicy:
    """All-smallest, then a second run on the largest backends when the answer is negative."""

    name = "recheck-negatives"
    window = 16

    def bind(self, sites: Mapping[int, SiteInfo]) -> None:
        pass

    def start(self, input_id: str, image: Any, sites: Mapping[int, SiteInfo]) -> Episode:
        return _RecheckEpisode(sites)

    def observe(self, trace: Any, feedback: Any) -> None:
        pass

    def state(self) -> Any:
        return {}

    def restore(self, state: Any) -> None:
        pass


def _fake_policies() -> dict[str, Callable[[], Any]]:
    from fmpc.policies.simple import RandomPolicy, StaticPolicy

    return {
        "static:smallest": lambda: StaticPolicy("smallest"),
        "static:largest": lambda: StaticPolicy("largest"),
        "random:0": lambda: RandomPolicy(0),
        "recheck": RecheckPolicy,
    }


def fake_snapshot() -> dict[str, Any]:
    """Every fake program, raw, after the default pipeline and with cascades, under every fake policy and
    window, on every fake scene twice (the second time from the shared cache)."""
    from tests.fakes import SCENES, scene_image
    from tests.test_corpus import compiled

    out: dict[str, Any] = {}
    for name in FAKE_PROGRAMS:
        for pipeline in PIPELINES:
            module = compiled(name)
            if pipeline != "none":
                module = PassManager(pipeline).run(module)
            for policy_name, make in _fake_policies().items():
                for window in FAKE_WINDOWS:
                    table = fake_table()
                    cache = ExecutionCache()
                    rows = []
                    for _ in range(2):
                        executor = Executor(module, table, make(), cache=cache)
                        images = [scene_image(s) for s in SCENES]
                        for start in range(0, len(images), window):
                            results = executor.run_window(images[start : start + window])
                            rows += [result_row(r) for r in results]
                    key = f"{name}|{pipeline}|{policy_name}|w{window}"
                    out[key] = {**summary(rows), "batches": _batches(table)}
    return out


def _batches(table: BackendTable) -> dict[str, list[int]]:
    return {
        f"{fn}/{b.name}": list(b.batches)
        for fn in sorted(table)
        for b in table[fn]
        if isinstance(b, Bucketed) and b.batches
    }


# ---------------------------------------------------------------- the model zoo


def zoo_weights() -> str:
    """A digest of the zoo's manifest: the snapshot holds only for the weights it was made with."""
    from fmpc.zoo.store import read_manifest

    text = json.dumps(read_manifest(), sort_keys=True)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def zoo_snapshot() -> dict[str, Any]:
    """``examples/red_seven.py`` and two benchmark queries on short labelled streams of the
    digits world, with the zoo's backends, under the static and learned policies, streamed at
    several windows (the learned policies observe every label)."""
    from pathlib import Path

    from fmpc.frontend import compile_file
    from fmpc.policies.base import policy_from_spec
    from fmpc.worlds.benchmarks import Stream, builtin_queries
    from fmpc.zoo.plugin import zoo_table

    table, costs = zoo_table()
    example = Path(__file__).parents[2] / "examples" / "red_seven.py"
    red_seven = PassManager(DEFAULT_PIPELINE).run(compile_file(str(example)))
    queries = {q.id: q for task in ("binary", "open") for q in builtin_queries(task)}
    streams = {"red_seven": (red_seven, Stream(queries[ZOO_QUERIES[0]], 7, ZOO_STREAM))}
    for qid in ZOO_QUERIES:
        module = PassManager(DEFAULT_PIPELINE).run(queries[qid].module)
        streams[qid] = (module, Stream(queries[qid], 0, ZOO_STREAM))
    out: dict[str, Any] = {"weights": zoo_weights()}
    for name, (module, stream) in streams.items():
        items = [
            InputItem(stream.image(i).id, stream.image(i), label, labelled=True)
            for i, label in enumerate(stream.labels)
        ]
        for spec in ("static:smallest", "static:largest", "neural-ts", "defer"):
            for window in ZOO_WINDOWS:
                policy = policy_from_spec(spec, seed=0, lam=0.05 if spec != "defer" else 0.03)
                executor = Executor(module, table, policy, cache=ExecutionCache(), costs=costs)
                rows = [
                    result_row(step.result)
                    for step in run_stream(executor, items, window=window)
                    if step.result is not None
                ]
                out[f"{name}|{spec}|w{window}"] = summary(rows)
    return out


def main(argv: Sequence[str]) -> None:
    """``python -m tests.runtime.window_snapshot fake|zoo OUT.json``."""
    kind, path = argv
    data = fake_snapshot() if kind == "fake" else zoo_snapshot()
    with open(path, "w", encoding="utf-8") as file:
        json.dump(data, file, indent=1, sort_keys=True)
        file.write("\n")


if __name__ == "__main__":
    import fmpc.policies.deferral  # noqa: F401 - registers the policies named above
    import fmpc.policies.neural_ts  # noqa: F401

    main(sys.argv[1:])
