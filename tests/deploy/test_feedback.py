"""The store of answers awaiting feedback: bounded in size and time, refusing and counting
unknown, duplicate and expired ids."""

from __future__ import annotations

import pytest

from fmpc.deploy.feedback import DuplicateInputError, FeedbackError, PendingAnswers
from fmpc.runtime.trace import Trace


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _answer(store: PendingAnswers, input_id: str) -> None:
    store.reserve(input_id)
    store.put(input_id, "yes", Trace(input_id), None)


def _reason(store: PendingAnswers, input_id: str) -> str:
    with pytest.raises(FeedbackError) as caught:
        store.take(input_id)
    return caught.value.reason


def test_feedback_takes_the_answer_once() -> None:
    store = PendingAnswers(4)
    _answer(store, "a")
    assert store.take("a").answer == "yes"
    assert _reason(store, "a") == "duplicate"
    assert _reason(store, "b") == "unknown"
    assert store.stats()["refused"] == {"unknown": 1, "duplicate": 1, "expired": 0}


def test_the_oldest_answers_are_dropped_when_full() -> None:
    store = PendingAnswers(2)
    for name in "abc":
        _answer(store, name)
    assert _reason(store, "a") == "expired"
    assert store.take("b").input_id == "b" and store.take("c").input_id == "c"
    assert store.stats() == {
        "pending": 0,
        "dropped": 1,
        "refused": {"unknown": 0, "duplicate": 0, "expired": 1},
    }


def test_answers_expire_after_their_time() -> None:
    clock = Clock()
    store = PendingAnswers(8, ttl_s=10, clock=clock)
    _answer(store, "old")
    clock.now = 5
    _answer(store, "new")
    clock.now = 12
    assert _reason(store, "old") == "expired"
    assert store.take("new").input_id == "new"


def test_an_id_awaiting_feedback_cannot_be_answered_again() -> None:
    store = PendingAnswers(4)
    _answer(store, "a")
    with pytest.raises(DuplicateInputError):
        store.reserve("a")
    store.take("a")
    _answer(store, "a")  # settled: the id may be used again
    assert store.take("a").input_id == "a"


def test_a_released_reservation_is_forgotten() -> None:
    store = PendingAnswers(4)
    store.reserve("a")
    assert _reason(store, "a") == "unknown"
    store.release("a")
    store.reserve("a")


def test_bad_limits() -> None:
    with pytest.raises(ValueError, match="capacity"):
        PendingAnswers(0)
    with pytest.raises(ValueError, match="time-to-live"):
        PendingAnswers(4, ttl_s=0)
