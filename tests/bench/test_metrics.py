"""Benchmark metrics: F1 edge cases, tallies, aggregation over queries, savings."""

from __future__ import annotations

import pytest

from fmpc.bench.metrics import QueryRun, Tally, aggregate, f1_score, mean, ratio, savings


def test_f1_of_perfect_and_useless_answers() -> None:
    assert f1_score(tp=3, fp=0, fn=0) == 1.0
    assert f1_score(tp=0, fp=2, fn=3) == 0.0
    assert f1_score(tp=1, fp=1, fn=0) == pytest.approx(2 / 3)


def test_f1_is_undefined_without_any_positive() -> None:
    assert f1_score(tp=0, fp=0, fn=0) is None


def test_tally_counts_confusion_and_accuracy() -> None:
    tally = Tally()
    for answer, label in [
        ("yes", "yes"),
        ("no", "yes"),
        ("yes", "no"),
        ("no", "no"),
        (" No", "no"),
    ]:
        tally.add(answer, label, cost=2.0, decision_s=0.001)
    assert (tally.tp, tally.fp, tally.fn) == (1, 1, 1)
    assert tally.correct == 3 and tally.inputs == 5
    assert tally.accuracy == pytest.approx(0.6)
    assert tally.f1 == pytest.approx(0.5)
    assert tally.mean_cost == pytest.approx(2.0)


def test_a_failed_run_counts_as_a_wrong_no() -> None:
    tally = Tally()
    tally.add("yes", "yes", cost=1.0, error="backend failed")
    assert (tally.errors, tally.correct, tally.tp, tally.fn) == (1, 0, 0, 1)


def test_open_form_answers_do_not_touch_f1() -> None:
    tally = Tally()
    tally.add("3", "3", cost=1.0)
    tally.add("red", "blue", cost=1.0)
    assert tally.accuracy == 0.5
    assert tally.f1 is None


def test_empty_tally_has_no_figures() -> None:
    assert Tally().accuracy is None and Tally().mean_cost is None


def _run(query: str, tally: Tally, task: str = "binary", kind: str | None = None) -> QueryRun:
    return QueryRun("m", query, task, kind, tally)


def test_aggregate_reports_mean_and_pooled_f1() -> None:
    a, b = Tally(), Tally()
    a.add("yes", "yes", 1.0)  # F1 1 on a one-positive stream
    for _ in range(3):  # F1 0 on b: 3 misses
        b.add("no", "yes", 3.0)
    got = aggregate([_run("a", a), _run("b", b)])
    assert got.f1 == pytest.approx(0.5)  # mean over queries
    assert got.f1_pooled == pytest.approx(2 / (2 + 3))  # all inputs together
    assert got.mean_cost == pytest.approx(10.0 / 4)
    assert got.queries == 2 and got.inputs == 4


def test_mean_f1_leaves_out_streams_where_it_is_undefined() -> None:
    a, b = Tally(), Tally()
    a.add("yes", "yes", 1.0)
    b.add("no", "no", 1.0)
    assert aggregate([_run("a", a), _run("b", b)]).f1 == 1.0


def test_aggregate_open_form_by_reasoning_type() -> None:
    a, b = Tally(), Tally()
    a.add("1", "1", 1.0)
    b.add("2", "3", 1.0)
    b.add("4", "4", 1.0)
    got = aggregate([_run("a", a, "open", "spatial"), _run("b", b, "open", "numerical")])
    assert got.f1 is None and got.f1_pooled is None
    assert got.accuracy == pytest.approx(2 / 3)
    assert dict(got.by_type) == {"numerical": 0.5, "spatial": 1.0}


def test_aggregate_needs_runs() -> None:
    with pytest.raises(ValueError, match="at least one run"):
        aggregate([])


def test_savings_and_ratios() -> None:
    assert savings(2.0, 100.0) == pytest.approx(0.98)
    assert ratio(3.0, 2.0) == pytest.approx(1.5)
    assert savings(None, 1.0) is None and savings(1.0, 0.0) is None and ratio(1.0, None) is None
    assert mean([None, 1.0, 3.0]) == 2.0 and mean([None]) is None
