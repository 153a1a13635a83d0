"""Prometheus metrics of a served program (prometheus-client), one registry per server.

``ProgramCollector`` reads ``Program.stats()`` at every scrape; ``HttpMetrics`` counts requests
and their latency by endpoint and status. Metric names (all prefixed ``fmpc_``):

| metric | labels | what |
|---|---|---|
| ``http_requests_total`` | endpoint, status | requests served |
| ``http_request_seconds`` | endpoint | latency histogram |
| ``answers_total``, ``answer_errors_total`` | | answers, and those without an answer |
| ``backend_calls_total`` | site, function, backend, via | backend calls (via policy, fallback, cascade) |
| ``backend_cost_total`` | site, function, backend | cost charged (FLOPs for JAX backends) |
| ``backend_failures_total`` | function, backend | failed backend calls |
| ``fallbacks_total`` | function, from_backend, to_backend | calls that replaced a failed backend |
| ``batches_total``, ``batch_items_total`` | backend | micro-batches sent and items they held |
| ``policy_updates_total``, ``policy_update_seconds_total`` | | background training |
| ``learner_failures_total``, ``checkpoints_total`` | | failed updates/checkpoints, checkpoints saved |
| ``policy_inputs_learned``, ``state_step`` | | inputs learned from (across restarts), saved state's step (gauges) |
| ``feedback_total``, ``feedback_malformed_total`` | | feedback learned from, malformed labels |
| ``feedback_pending`` | | answers awaiting feedback (gauge) |
| ``feedback_dropped_total`` | | answers dropped (too old, store full) before their feedback |
| ``feedback_refused_total`` | reason | feedback refused: unknown, duplicate, expired id |
| ``feedback_skipped_total`` | reason | feedback the policy could not learn from |
| ``ready`` | | 1 once warm-up is done (gauge) |
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Upper bounds (seconds) of the request latency histogram."""


class ProgramCollector(Collector):
    """The figures of the program ``current()`` returns (``None`` before it is loaded)."""

    def __init__(self, current: Callable[[], Any]) -> None:
        self._current = current

    def collect(self) -> Iterator[Metric]:
        program = self._current()
        ready = GaugeMetricFamily("fmpc_ready", "1 once the program is loaded and warmed up")
        ready.add_metric([], 1.0 if program is not None and program.ready else 0.0)
        yield ready
        if program is None:
            return
        yield from _families(program.stats())


def _families(stats: dict[str, Any]) -> Iterator[Metric]:
    yield _counter("answers", "answers given", [], [([], stats["answers"])])
    yield _counter(
        "answer_errors", "inputs the program could not answer", [], [([], stats["errors"])]
    )
    yield _counter(
        "backend_calls",
        "backend calls",
        ["site", "function", "backend", "via"],
        [([str(r["site"]), r["fn"], r["backend"], r["via"]], r["calls"]) for r in stats["calls"]],
    )
    yield _counter(
        "backend_cost",
        "cost charged by backends (FLOPs for JAX backends)",
        ["site", "function", "backend"],
        [([str(r["site"]), r["fn"], r["backend"]], r["cost"]) for r in stats["costs"]],
    )
    yield _counter(
        "backend_failures",
        "failed backend calls",
        ["function", "backend"],
        [([r["fn"], r["backend"]], r["failures"]) for r in stats["backend_failures"]],
    )
    yield _counter(
        "fallbacks",
        "calls that replaced a failed backend",
        ["function", "from_backend", "to_backend"],
        [([r["fn"], r["from"], r["to"]], r["count"]) for r in stats["fallbacks"]],
    )
    yield from _batch_families(stats["batches"])
    yield from _learning_families(stats)
    yield from _feedback_families(stats)


def _batch_families(batches: dict[str, dict[str, int]]) -> Iterator[Metric]:
    for key, help_text in (("batches", "micro-batches sent"), ("items", "items they held")):
        name = "batches" if key == "batches" else "batch_items"
        rows = [([backend], n) for backend, n in sorted(batches[key].items())]
        yield _counter(name, help_text, ["backend"], rows)


def _learning_families(stats: dict[str, Any]) -> Iterator[Metric]:
    learner = stats["learner"]
    yield _counter("policy_updates", "background policy updates", [], [([], learner["updates"])])
    yield _counter(
        "policy_update_seconds",
        "time spent in policy updates",
        [],
        [([], learner["update_seconds"])],
    )
    yield _counter(
        "learner_failures", "failed updates or checkpoints", [], [([], learner["failures"])]
    )
    yield _counter("checkpoints", "checkpoints saved", [], [([], learner["checkpoints"])])
    learned = GaugeMetricFamily(
        "fmpc_policy_inputs_learned", "inputs the policy learned from, across restarts"
    )
    learned.add_metric([], float(stats["policy"].get("inputs_learned", 0)))
    yield learned
    step = GaugeMetricFamily("fmpc_state_step", "the step of the last saved learned state")
    step.add_metric([], float(stats["state_step"]))
    yield step


def _feedback_families(stats: dict[str, Any]) -> Iterator[Metric]:
    feedback = stats["feedback"]
    yield _counter("feedback", "feedback learned from", [], [([], feedback["given"])])
    yield _counter(
        "feedback_malformed", "feedback with a malformed label", [], [([], feedback["malformed"])]
    )
    pending = GaugeMetricFamily("fmpc_feedback_pending", "answers awaiting feedback")
    pending.add_metric([], feedback["pending"])
    yield pending
    yield _counter(
        "feedback_dropped",
        "answers dropped before their feedback came",
        [],
        [([], feedback["dropped"])],
    )
    yield _counter(
        "feedback_refused",
        "feedback refused, by reason",
        ["reason"],
        [([reason], n) for reason, n in feedback["refused"].items()],
    )
    skipped = stats["policy"].get("feedback_skipped", {})
    yield _counter(
        "feedback_skipped",
        "feedback the policy could not learn from, by reason",
        ["reason"],
        [([reason], n) for reason, n in sorted(skipped.items())],
    )


def _counter(
    name: str, help_text: str, labels: list[str], rows: Sequence[tuple[Sequence[str], float]]
) -> CounterMetricFamily:
    family = CounterMetricFamily(f"fmpc_{name}", help_text, labels=labels)
    for values, value in rows:
        family.add_metric(values, float(value))
    return family


class HttpMetrics:
    """Request counts and latencies by endpoint, in ``registry``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "fmpc_http_requests",
            "HTTP requests served",
            ["endpoint", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "fmpc_http_request_seconds",
            "HTTP request latency",
            ["endpoint"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )

    def observe(self, endpoint: str, status: int, seconds: float) -> None:
        """Count one request."""
        self.requests.labels(endpoint, str(status)).inc()
        self.latency.labels(endpoint).observe(seconds)


def registry_for(current: Callable[[], Any]) -> tuple[CollectorRegistry, HttpMetrics]:
    """A fresh registry holding the program's figures and the HTTP metrics."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ProgramCollector(current))
    return registry, HttpMetrics(registry)
