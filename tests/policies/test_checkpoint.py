"""Checkpoints: resuming continues exactly, an interrupted save never hides the last good
checkpoint, a checkpoint of another program or policy is refused, and ``fmpc run --checkpoint
--resume`` counts inputs across runs."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import jax
import numpy as np
import pytest

from fmpc.policies.budget import BudgetPolicy
from fmpc.policies.checkpoint import (
    CheckpointError,
    CheckpointWarning,
    restore_policy,
    save_policy,
)
from fmpc.policies.neural_ts import NeuralTSPolicy
from tests.cli.test_run import CONFIG, HAS_DIGIT, fmpc_run, summary
from tests.policies.test_neural_ts import SITES, config, drive, images


def test_decisions_after_resuming_equal_an_uninterrupted_run(tmp_path: Path) -> None:
    stream = images(40, seed=5)
    uninterrupted = drive(NeuralTSPolicy(config()), stream, window=8)
    first = NeuralTSPolicy(config())
    before = drive(first, stream[:20], window=4)  # stops mid-way between two updates
    save_policy(first, tmp_path, inputs_seen=20)
    resumed = NeuralTSPolicy(config())
    resumed.bind(SITES)
    assert restore_policy(resumed, tmp_path) == 20
    after = drive(resumed, stream[20:], window=4)
    assert before + after == uninterrupted
    assert resumed.report()["inputs_learned"] == 40


def test_an_interrupted_save_leaves_the_last_good_checkpoint(tmp_path: Path) -> None:
    policy = NeuralTSPolicy(config())
    drive(policy, images(16), window=8)
    save_policy(policy, tmp_path, inputs_seen=16)
    saved = policy.state()
    # a save killed half-way: Orbax's temporary directory with a partial write left behind
    partial = tmp_path / "24.orbax-checkpoint-tmp-1700000000"
    (partial / "state").mkdir(parents=True)
    (partial / "state" / "garbage").write_bytes(b"\x00" * 10)
    restored = NeuralTSPolicy(config())
    restored.bind(SITES)
    assert restore_policy(restored, tmp_path) == 16
    for got, want in zip(
        restored.state()["replay"].values(), saved["replay"].values(), strict=True
    ):
        np.testing.assert_array_equal(got, want)
    save_policy(restored, tmp_path, inputs_seen=32)  # saving goes on after the crash
    again = NeuralTSPolicy(config())
    again.bind(SITES)
    assert restore_policy(again, tmp_path) == 32


def test_checkpoints_of_other_sites_or_policies_and_missing_ones_are_refused(
    tmp_path: Path,
) -> None:
    policy = NeuralTSPolicy(config())
    policy.bind(SITES)
    save_policy(policy, tmp_path / "ckpt", inputs_seen=0)
    other_sites = NeuralTSPolicy(config())
    other_sites.bind({3: SITES[3]})
    with pytest.raises(CheckpointError, match="sites"):
        restore_policy(other_sites, tmp_path / "ckpt")
    budget = BudgetPolicy(5.0, config())
    budget.bind(SITES)
    with pytest.raises(CheckpointError, match="policy 'neural-ts', not 'budget'"):
        restore_policy(budget, tmp_path / "ckpt")
    with pytest.raises(CheckpointError, match="no checkpoint directory"):
        restore_policy(policy, tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError, match="no complete checkpoint"):
        restore_policy(policy, tmp_path / "empty")


def test_fmpc_run_resumes_and_counts_inputs_across_runs(tmp_path: Path) -> None:
    (tmp_path / "has_digit.py").write_text(HAS_DIGIT)
    (tmp_path / "backends.yaml").write_text(CONFIG)
    common = [str(tmp_path / "has_digit.py"), "--world", "digits", "--backends"]
    common += [str(tmp_path / "backends.yaml"), "--policy", "neural-ts:k=4", "--lam", "0.1"]
    ckpt = str(tmp_path / "ckpt")
    status, out, _ = fmpc_run(*common, "--n", "12", "--json")
    assert status == 0
    whole = summary(out)
    status, out, _ = fmpc_run(*common, "--n", "6", "--checkpoint", ckpt, "--json")
    first = summary(out)
    status, out, _ = fmpc_run(*common, "--n", "12", "--checkpoint", ckpt, "--resume", "--json")
    assert status == 0
    second = summary(out)
    assert second["inputs_seen"] == 12
    assert second["labelled"] == 6
    assert second["policy_updates"] == whole["policy_updates"] == 2
    counts = {
        name: first["backend_counts"]["0"].get(name, 0) + second["backend_counts"]["0"].get(name, 0)
        for name in whole["backend_counts"]["0"]
    }
    assert counts == whole["backend_counts"]["0"]
    assert json.loads(json.dumps(second))["lam"] == 0.1


def test_fmpc_run_refuses_resume_without_a_checkpoint_or_for_static_policies(
    tmp_path: Path,
) -> None:
    (tmp_path / "has_digit.py").write_text(HAS_DIGIT)
    common = [str(tmp_path / "has_digit.py"), "--world", "digits", "--n", "2"]
    common += ["--backends", "perfect"]
    status, _, err = fmpc_run(*common, "--policy", "neural-ts", "--resume")
    assert status == 1 and "--resume needs --checkpoint DIR" in err
    status, _, err = fmpc_run(*common, "--policy", "static:smallest", "--checkpoint", "x")
    assert status == 1 and "no learning state" in err
    status, _, err = fmpc_run(
        *common, "--policy", "neural-ts", "--checkpoint", str(tmp_path / "none"), "--resume"
    )
    assert status == 1 and "no checkpoint directory" in err


# ---------------------------------------------------------------- damaged checkpoints (issue 16)


def _saved(tmp_path: Path) -> tuple[NeuralTSPolicy, Path]:
    policy = NeuralTSPolicy(config())
    drive(policy, images(16), window=8)
    save_policy(policy, tmp_path / "ckpt", inputs_seen=8)
    drive(policy, images(8, seed=2), window=8)
    save_policy(policy, tmp_path / "ckpt", inputs_seen=16)
    return policy, tmp_path / "ckpt"


def _truncate_all(step: Path) -> None:
    for file in step.rglob("*"):
        if file.is_file():
            file.write_bytes(file.read_bytes()[:3])


DAMAGES = {
    "garbage checkpoint metadata": lambda step: (step / "_CHECKPOINT_METADATA").write_bytes(
        b"\xff\xfe\x00"
    ),
    "truncated record": lambda step: (step / "meta" / "metadata").write_bytes(b'{"poli'),
    "empty step directory": lambda step: [shutil.rmtree(step), step.mkdir()],
    "record that is not one": lambda step: (step / "meta" / "metadata").write_text('["a", 1]'),
    "record without inputs_seen": lambda step: (step / "meta" / "metadata").write_text(
        '{"policy": "neural-ts"}'
    ),
    "truncated files": _truncate_all,
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_damaged_newest_step_is_skipped_with_a_warning(tmp_path: Path, damage: str) -> None:
    _, directory = _saved(tmp_path)
    DAMAGES[damage](directory / "16")
    restored = NeuralTSPolicy(config())
    restored.bind(SITES)
    warned: list[str] = []
    seen = restore_policy(restored, directory, on_damaged=warned.append)
    if damage == "garbage checkpoint metadata":  # Orbax reads past it (and logs): still usable
        assert seen == 16 and warned == []
        return
    assert seen == 8  # was a traceback (KeyError, JSONDecodeError, AttributeError, ...)
    assert len(warned) == 1 and warned[0].startswith(
        f"{directory}: checkpoint 16 is damaged and was skipped ("
    )
    with pytest.warns(CheckpointWarning, match="checkpoint 16 is damaged"):
        restore_policy(restored, directory)


def test_no_readable_step_is_a_one_line_error(tmp_path: Path) -> None:
    _, directory = _saved(tmp_path)
    for step in ("8", "16"):
        DAMAGES["truncated record"](directory / step)
    restored = NeuralTSPolicy(config())
    restored.bind(SITES)
    with pytest.raises(CheckpointError) as caught:
        restore_policy(restored, directory, on_damaged=lambda message: None)
    assert str(caught.value) == f"{directory}: no readable checkpoint (2 damaged)"


def test_saving_over_a_damaged_step_replaces_it(tmp_path: Path) -> None:
    policy, directory = _saved(tmp_path)
    DAMAGES["empty step directory"](directory / "16")
    save_policy(policy, directory, inputs_seen=16)
    restored = NeuralTSPolicy(config())
    restored.bind(SITES)
    assert restore_policy(restored, directory, on_damaged=pytest.fail) == 16


def test_fmpc_run_resumes_past_a_damaged_step_and_says_so(tmp_path: Path) -> None:
    (tmp_path / "has_digit.py").write_text(HAS_DIGIT)
    (tmp_path / "backends.yaml").write_text(CONFIG)
    common = [str(tmp_path / "has_digit.py"), "--world", "digits", "--backends"]
    common += [str(tmp_path / "backends.yaml"), "--policy", "neural-ts:k=4"]
    ckpt = tmp_path / "ckpt"
    assert fmpc_run(*common, "--n", "8", "--checkpoint", str(ckpt))[0] == 0
    DAMAGES["truncated record"](ckpt / "8")
    status, out, err = fmpc_run(
        *common, "--n", "12", "--checkpoint", str(ckpt), "--resume", "--json"
    )
    assert status == 0 and "Traceback" not in err
    assert f"warning: {ckpt}: checkpoint 8 is damaged and was skipped" in err
    assert summary(out)["inputs_seen"] == 12 and summary(out)["labelled"] == 8  # from step 4
    for step in ckpt.iterdir():
        if step.name.isdigit():
            DAMAGES["empty step directory"](step)
    status, _, err = fmpc_run(*common, "--n", "12", "--checkpoint", str(ckpt), "--resume")
    assert status == 1 and "Traceback" not in err
    assert (
        err.strip().splitlines()[-1]
        == f"fmpc run: error: {ckpt}: no readable checkpoint (2 damaged)"
    )


# ---------------------------------------------------------------- resume identity (issue 16)

TWO_SITES = """\
def execute_command(image):
    image_patch = ImagePatch(image)
    if image_patch.exists("digit"):
        return bool_to_yesno(image_patch.exists("7"))
    return "no"
"""


def _final_state(directory: Path, program: Path, config_file: Path) -> list[np.ndarray]:
    from fmpc.frontend import compile_file
    from fmpc.policies import policy_from_spec
    from fmpc.runtime.backends import load_backends
    from fmpc.runtime.executor import Executor

    policy = policy_from_spec("neural-ts:k=8")
    Executor(compile_file(program), load_backends(config_file), policy)
    restore_policy(policy, directory)
    return [np.asarray(leaf) for leaf in jax.tree.leaves(policy.state())]


def test_resuming_at_any_input_is_decision_for_decision_identical(tmp_path: Path) -> None:
    """Stopping a run at an input that is not a window boundary used to change what was decided
    and learned: the resumed run's windows were counted from the resume point (so updates came
    late), and XLA's numerics depended on the window's size. Several stopping points."""
    program, config_file = tmp_path / "two_sites.py", tmp_path / "backends.yaml"
    program.write_text(TWO_SITES)
    config_file.write_text(CONFIG)
    common = [str(program), "--world", "digits", "--backends", str(config_file)]
    common += ["--policy", "neural-ts:k=8", "--lam", "0.01", "--json"]
    full = tmp_path / "full"
    whole = summary(fmpc_run(*common, "--n", "44", "--checkpoint", str(full))[1])
    expected = _final_state(full, program, config_file)
    for stop in (3, 8, 13, 30):
        ckpt = tmp_path / f"stop{stop}"
        first = summary(fmpc_run(*common, "--n", str(stop), "--checkpoint", str(ckpt))[1])
        rest = summary(fmpc_run(*common, "--n", "44", "--checkpoint", str(ckpt), "--resume")[1])
        for site, counts in whole["backend_counts"].items():
            both = Counter(first["backend_counts"].get(site, {}))
            both.update(rest["backend_counts"].get(site, {}))
            assert dict(both) == counts, (stop, site)
        state = _final_state(ckpt, program, config_file)
        assert all(np.array_equal(a, b) for a, b in zip(state, expected, strict=True)), stop
