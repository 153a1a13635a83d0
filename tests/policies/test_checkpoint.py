"""Checkpoints: resuming continues exactly, an interrupted save never hides the last good
checkpoint, a checkpoint of another program or policy is refused, and ``fmpc run --checkpoint
--resume`` counts inputs across runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fmpc.policies.budget import BudgetPolicy
from fmpc.policies.checkpoint import CheckpointError, restore_policy, save_policy
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
