"""``fmpc build``'s artifact: what it holds, that loading checks it, and that a loaded program
answers as the compiled one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fmpc.deploy.artifact import FORMAT_VERSION, ArtifactError, open_artifact
from fmpc.deploy.program import ServeOptions, compile, load
from tests.deploy.conftest import images

NO_WARMUP = ServeOptions(warm_up=False)


def test_the_artifact_describes_itself(built: Path) -> None:
    artifact = open_artifact(built)
    manifest = artifact.manifest
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["program"]["pipeline"].startswith("canonicalize")
    expected = {"source.py", "program.json", "backends.yaml", "policy.json", "sites.json"}
    assert expected <= set(manifest["files"])
    assert all(digest.startswith("sha256:") for digest in manifest["files"].values())
    policy = artifact.json("policy.json")
    for key in ("nu=", "lambda_reg=", "learning_rate=", "update_every=4", "buffer_size=", "seed="):
        assert key in policy["spec"]
    assert policy["hyperparameters"]["update_every"] == 4
    sites = artifact.json("sites.json")
    assert [(row["fn"], row["backends"]) for row in sites] == [("exists", ["small", "large"])]
    assert {(e.function, e.name) for e in artifact.exported} == {
        ("exists", "small"),
        ("exists", "large"),
    }
    for entry in artifact.exported:
        assert entry.buckets == (1, 2, 4, 8)
        assert len(entry.computations) == 4
        assert all(name.endswith(".stablehlo") for name in entry.computations)
    assert artifact.rebuilt == ()
    assert artifact.state_step == 0
    assert (built / "state" / "0").is_dir()


def test_a_loaded_program_answers_as_the_compiled_one(
    built: Path, program_files: dict[str, Path]
) -> None:
    compiled = compile(
        program_files["program"],
        backends=program_files["config"],
        policy="neural-ts:k=4",
        image_shape=(16, 16),
    )
    loaded = load(built)
    try:
        for i, image in enumerate(images(6)):
            a = compiled.answer(image, input_id=f"x{i}")
            b = loaded.answer(image, input_id=f"x{i}")
            assert (a.value, a.cost) == (b.value, b.cost)
            assert [u.backend for u in a.sites] == [u.backend for u in b.sites]
    finally:
        compiled.close()
        loaded.close(save=False)


def test_exported_backends_need_no_model_code(artifact: Path) -> None:
    from fmpc.runtime.backends.build import BUILTIN_BACKEND_TYPES, jax_io
    from fmpc.runtime.config import BackendType, BackendTypes, JaxSpec

    def no_model(function: str, spec: JaxSpec) -> None:
        raise AssertionError("the model's code was called")

    types = BackendTypes(
        entries={
            **dict(BUILTIN_BACKEND_TYPES.items()),
            "jax": BackendType("jax", JaxSpec, no_model, io=jax_io),
        }
    )
    program = load(artifact, types=types)
    try:
        assert program.ready
        answer = program.answer(images(1)[0], input_id="a")
        assert answer.ok and answer.value in ("yes", "no")
    finally:
        program.close(save=False)


def test_a_changed_file_is_named(artifact: Path) -> None:
    program = json.loads((artifact / "program.json").read_text())
    program["name"] = "edited"
    (artifact / "program.json").write_text(json.dumps(program))
    with pytest.raises(ArtifactError, match=r"program\.json: content differs"):
        open_artifact(artifact)


def test_a_missing_file_and_a_damaged_state_are_named(artifact: Path) -> None:
    (artifact / "sites.json").unlink()
    state = next((artifact / "state" / "0").rglob("*.json"), None) or next(
        p for p in (artifact / "state" / "0").rglob("*") if p.is_file()
    )
    state.write_bytes(state.read_bytes() + b" ")
    with pytest.raises(ArtifactError) as caught:
        open_artifact(artifact)
    assert "sites.json: missing" in str(caught.value)
    assert "state/0: content differs" in str(caught.value)


def test_a_newer_format_is_refused(artifact: Path) -> None:
    manifest = json.loads((artifact / "manifest.json").read_text())
    manifest["format_version"] = FORMAT_VERSION + 1
    (artifact / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match="newer than this fmpc"):
        open_artifact(artifact)


def test_not_an_artifact(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="no such artifact"):
        open_artifact(tmp_path / "nothing.fmpa")
    with pytest.raises(ArtifactError, match="not an fmpc artifact"):
        open_artifact(tmp_path)


def test_a_backend_type_missing_here_is_named(artifact: Path) -> None:
    from fmpc.runtime.backends.build import BUILTIN_BACKEND_TYPES
    from fmpc.runtime.config import BackendTypes

    without_jax = BackendTypes(
        entries={k: v for k, v in BUILTIN_BACKEND_TYPES.items() if k != "jax"}
    )
    with pytest.raises(ArtifactError, match="unknown backend type 'jax'"):
        load(artifact, NO_WARMUP, types=without_jax)


def test_changed_hyperparameters_are_named(artifact: Path) -> None:
    record = json.loads((artifact / "policy.json").read_text())
    record["hyperparameters"]["nu"] = 0.5
    text = json.dumps(record)
    (artifact / "policy.json").write_text(text)
    _rehash(artifact, "policy.json")
    with pytest.raises(ArtifactError, match="nu: recorded 0.5, now 0.1"):
        load(artifact, NO_WARMUP)


def test_a_site_table_that_differs_is_named(artifact: Path) -> None:
    rows = json.loads((artifact / "sites.json").read_text())
    rows[0]["backends"] = ["large", "small"]
    (artifact / "sites.json").write_text(json.dumps(rows))
    _rehash(artifact, "sites.json")
    with pytest.raises(ArtifactError, match="site 0 \\(exists\\) differs"):
        load(artifact, NO_WARMUP)


def test_a_checkpoint_of_other_sites_is_refused(
    program_files: dict[str, Path], tmp_path: Path
) -> None:
    from fmpc.deploy.build import compile_parts
    from fmpc.policies.checkpoint import save_policy

    other = tmp_path / "two.py"
    other.write_text(
        "def execute_command(image) -> bool:\n"
        "    patch = ImagePatch(image)\n"
        "    return patch.exists('7') and patch.exists('3')\n"
    )
    parts = compile_parts(other, backends=program_files["config"], policy="neural-ts")
    save_policy(parts.policy, tmp_path / "ckpt", inputs_seen=3)
    parts.table.close()
    with pytest.raises(ArtifactError, match="--from-checkpoint: .*sites"):
        compile_parts(
            program_files["program"],
            backends=program_files["config"],
            policy="neural-ts",
            from_checkpoint=tmp_path / "ckpt",
        )


def test_backends_that_cannot_be_exported_are_named_and_rebuilt(
    program_files: dict[str, Path], tmp_path: Path
) -> None:
    from fmpc.deploy.build import compile_parts, write_artifact

    parts = compile_parts(program_files["program"], backends=program_files["fallback"])
    path = write_artifact(parts, tmp_path / "fallback.fmpa")
    parts.table.close()
    artifact = open_artifact(path)
    assert [(e.name, e.reason) for e in artifact.rebuilt] == [
        ("flaky", "a callable backend is not a JAX computation")
    ]
    assert [e.name for e in artifact.exported] == ["large"]
    program = load(path)
    try:
        answer = program.answer(images(1)[0])
        assert answer.ok and answer.fallbacks == 1
        assert program.stats()["fallbacks"] == [
            {"fn": "exists", "from": "flaky", "to": "large", "count": 1}
        ]
    finally:
        program.close()


def test_recompiling_from_stablehlo_answers_the_same(artifact: Path) -> None:
    fast = load(artifact)
    slow = load(artifact, ServeOptions(use_compiled=False))
    try:
        for i, image in enumerate(images(3)):
            a, b = fast.answer(image, f"r{i}"), slow.answer(image, f"r{i}")
            assert (a.value, a.cost) == (b.value, b.cost)
    finally:
        fast.close(save=False)
        slow.close(save=False)


def _rehash(artifact: Path, name: str) -> None:
    from fmpc.deploy.artifact import file_digest

    manifest = json.loads((artifact / "manifest.json").read_text())
    manifest["files"][name] = file_digest(artifact / name)
    (artifact / "manifest.json").write_text(json.dumps(manifest))
