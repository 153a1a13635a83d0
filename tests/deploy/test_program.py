"""``Program``: answers from every kind of image, thread safety, micro-batching, delayed
feedback, learning off the request path, saving and resuming."""

from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fmpc.deploy.feedback import DuplicateInputError, FeedbackError
from fmpc.deploy.images import ImageError
from fmpc.deploy.labels import LabelError
from fmpc.deploy.program import Program, ServeOptions, compile, load
from tests.deploy.conftest import images


@pytest.fixture
def program(artifact: Path) -> Program:
    loaded = load(artifact, ServeOptions(max_wait_ms=20.0))
    yield loaded
    loaded.close(save=False)


def test_images_come_as_arrays_pil_paths_or_bytes(program: Program, tmp_path: Path) -> None:
    array = images(1)[0]
    encoded = io.BytesIO()
    Image.fromarray(array).save(encoded, format="PNG")
    (tmp_path / "x.png").write_bytes(encoded.getvalue())
    forms = [array, Image.fromarray(array), tmp_path / "x.png", str(tmp_path / "x.png")]
    forms.append(encoded.getvalue())
    answers = [program.answer(form, input_id=f"f{i}") for i, form in enumerate(forms)]
    assert len({(a.value, a.cost) for a in answers}) == 1
    assert [a.input_id for a in answers] == [f"f{i}" for i in range(5)]
    with pytest.raises(ImageError, match="not an image format"):
        program.answer(b"not a png")
    with pytest.raises(ImageError, match="no such image file"):
        program.answer(tmp_path / "missing.png")


def test_an_answer_says_what_it_used(program: Program) -> None:
    answer = program.answer(images(1)[0])
    assert answer.ok and answer.value in ("yes", "no")
    assert len(answer.input_id) == 32 and answer.trace_id != answer.input_id
    [use] = answer.sites
    assert (use.site, use.fn, use.via) == (0, "exists", "policy")
    assert use.backend in ("small", "large") and answer.cost >= use.cost > 0
    assert answer.to_json()["sites"][0]["backend"] == use.backend


def test_concurrent_answers_and_feedback_lose_nothing(program: Program) -> None:
    inputs = images(64, seed=3)

    def client(worker: int) -> None:
        for i in range(worker, len(inputs), 8):
            answer = program.answer(inputs[i], input_id=f"in{i}")
            program.feedback(answer.input_id, "yes" if i % 3 else "no")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(client, range(8)))
    assert program.learner.idle(timeout=60)
    stats = program.stats()
    assert stats["answers"] == 64  # the warm-up answer is not counted
    assert stats["feedback"]["given"] == 64 and stats["feedback"]["pending"] == 0
    assert stats["feedback"]["refused"] == {"unknown": 0, "duplicate": 0, "expired": 0}
    assert stats["policy"]["inputs_learned"] == 64
    assert stats["policy"]["feedback_skipped"] == {}
    assert stats["learner"]["updates"] >= 1 and stats["policy"]["policy_updates"] >= 1
    batches = stats["batches"]
    sent = sum(batches["batches"].values())
    items = sum(batches["items"].values())
    assert items >= 64 and sent < items  # concurrent calls went out together


def test_updates_run_off_the_request_path(program: Program) -> None:
    policy = program.parts.policy
    training = threading.Event()
    release = threading.Event()
    real_update = policy.update

    def slow_update() -> bool:
        training.set()
        release.wait(30)
        return real_update()

    policy.update = slow_update  # type: ignore[method-assign]
    try:
        for i, image in enumerate(images(4)):
            program.feedback(program.answer(image, f"u{i}").input_id, "no")
        assert training.wait(30)
        answer = program.answer(images(1, seed=9)[0], "during")  # while the update is blocked
        assert answer.ok
    finally:
        release.set()
    assert program.learner.idle(timeout=60)
    assert program.stats()["learner"]["updates"] == 1


def test_feedback_problems_are_refused_and_counted(artifact: Path) -> None:
    program = load(artifact, ServeOptions(pending=2))
    try:
        program.answer(images(1)[0], "a")
        program.feedback("a", "yes")
        with pytest.raises(FeedbackError, match="already got its feedback") as caught:
            program.feedback("a", "yes")
        assert caught.value.reason == "duplicate"
        with pytest.raises(FeedbackError, match="no answer was given") as caught:
            program.feedback("nobody", "yes")
        assert caught.value.reason == "unknown"
        for name in ("b", "c", "d"):
            program.answer(images(1)[0], name)
        with pytest.raises(FeedbackError, match="dropped before the feedback came") as caught:
            program.feedback("b", "no")  # the store holds 2: b was dropped for d
        assert caught.value.reason == "expired"
        with pytest.raises(LabelError, match="expected a string"):
            program.feedback("c", 3)
        with pytest.raises(LabelError, match="missing"):
            program.feedback("c", None)
        with pytest.raises(DuplicateInputError, match="still awaits its feedback"):
            program.answer(images(1)[0], "c")
        feedback = program.stats()["feedback"]
        assert feedback["refused"] == {"unknown": 1, "duplicate": 1, "expired": 1}
        assert feedback["malformed"] == 2 and feedback["dropped"] == 1
        assert feedback["pending"] == 2 and feedback["given"] == 1
    finally:
        program.close(save=False)


def test_feedback_expires_after_its_time(artifact: Path) -> None:
    program = load(artifact, ServeOptions(feedback_ttl_s=0.05))
    try:
        program.answer(images(1)[0], "late")
        threading.Event().wait(0.1)
        with pytest.raises(FeedbackError) as caught:
            program.feedback("late", "yes")
        assert caught.value.reason == "expired"
    finally:
        program.close(save=False)


def test_closing_saves_and_loading_resumes(artifact: Path) -> None:
    program = load(artifact)
    for i, image in enumerate(images(8, seed=5)):
        program.feedback(program.answer(image, f"s{i}").input_id, "yes")
    assert program.learner.idle(timeout=60)
    before = program.parts.policy.report()
    program.close()
    again = load(artifact)
    try:
        assert again.parts.policy.report() == before
        assert again.parts.state_step > 0
        probe = images(1, seed=11)[0]
        expected = np.asarray(program.parts.policy.state()["params"]["params"]["encoder"]["kernel"])
        restored = np.asarray(again.parts.policy.state()["params"]["params"]["encoder"]["kernel"])
        np.testing.assert_array_equal(expected, restored)
        assert again.answer(probe, "after").ok
    finally:
        again.close(save=False)


def test_periodic_checkpoints(artifact: Path) -> None:
    from fmpc.deploy.artifact import open_artifact

    program = load(artifact, ServeOptions(checkpoint_every=3))
    try:
        for i, image in enumerate(images(6, seed=2)):
            program.feedback(program.answer(image, f"p{i}").input_id, "no")
        assert program.learner.idle(timeout=60)
        assert program.stats()["learner"]["checkpoints"] in (1, 2)  # at most 3 unsaved
    finally:
        program.close(save=False)
    assert open_artifact(artifact).state_step == 6  # what a kill -9 would have left


def test_a_compiled_program_saves_a_whole_artifact(
    program_files: dict[str, Path], tmp_path: Path
) -> None:
    program = compile(program_files["program"], backends=program_files["config"])
    try:
        first = program.answer(images(1)[0], "c0")
        path = program.save(tmp_path / "saved.fmpa")
    finally:
        program.close()
    loaded = load(path)
    try:
        again = loaded.answer(images(1)[0], "c0")
        assert (again.value, again.cost) == (first.value, first.cost)
    finally:
        loaded.close()


def test_a_closed_program_says_so(artifact: Path) -> None:
    program = load(artifact, ServeOptions(warm_up=False))
    program.close(save=False)
    with pytest.raises(RuntimeError, match="closed"):
        program.answer(images(1)[0])
