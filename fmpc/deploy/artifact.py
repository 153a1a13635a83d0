"""The artifact ``fmpc build`` writes: one self-describing, versioned directory (``PROG.fmpa``).

::

    PROG.fmpa/
      manifest.json        format and versions, what made it, every file's SHA-256
      program.json         the optimized IR (IR JSON, versioned)
      source.py            the program as written
      sites.json           the site table: each call site's function, backends and their costs
      backends.yaml        the backend config
      policy.json          the policy: its spec with every hyperparameter
      backends/FN/NAME/    per exported JAX backend: params.npz, one .stablehlo per
                           (input shapes, batch bucket) (jax.export), and the executable
                           XLA compiled from it on the build machine (.xla)
      state/               the policy's learned state (an Orbax checkpoint; learning policies)

``open_artifact(path)`` reads and checks one: the format version (a newer one is refused), every
file against its hash (a file edited or damaged after the build is named), the state's step and
hash. ``write_artifact`` writes into a temporary directory and renames it into place, so an
interrupted build leaves no half artifact; ``save_state`` replaces the learned state in place
(Orbax writes a new step, then the manifest is replaced atomically), so a process killed while
saving leaves the previous state the one loaded.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fmpc.runtime.policy import Policy

FORMAT = "fmpc-artifact"
FORMAT_VERSION = 1
"""The artifact format this fmpc writes and the newest it reads."""

MANIFEST = "manifest.json"
STATE = "state"


class ArtifactError(ValueError):
    """An artifact cannot be read, does not match its manifest, or cannot be written; the
    message names every problem found."""


@dataclass(frozen=True)
class ExportedEntry:
    """A JAX backend the artifact serves from its exported computations."""

    function: str
    name: str
    type: str
    params: str
    computations: tuple[str, ...]
    buckets: tuple[int, ...]
    platforms: tuple[str, ...]
    executables: tuple[str | None, ...] = ()


@dataclass(frozen=True)
class RebuiltEntry:
    """A backend the artifact does not carry: rebuilt from the config at load, and why."""

    function: str
    name: str
    type: str
    reason: str


class Artifact:
    """An artifact read from ``path`` and checked against its manifest (``open_artifact``)."""

    def __init__(self, path: Path, manifest: Mapping[str, Any]) -> None:
        self.path = path
        self.manifest = manifest

    def text(self, name: str) -> str:
        """The text of the artifact's file ``name``."""
        return self.bytes(name).decode("utf-8")

    def bytes(self, name: str) -> bytes:
        """The contents of the artifact's file ``name``."""
        try:
            return (self.path / name).read_bytes()
        except OSError as exc:
            raise ArtifactError(f"{self.path}: cannot read {name} ({exc.strerror})") from None

    def json(self, name: str) -> Any:
        """The JSON document of the artifact's file ``name``."""
        try:
            return json.loads(self.text(name))
        except ValueError as exc:
            raise ArtifactError(f"{self.path / name}: not valid JSON ({exc})") from None

    @property
    def exported(self) -> tuple[ExportedEntry, ...]:
        """The backends served from exported computations."""
        rows = self.manifest.get("backends", {}).get("exported", [])
        return tuple(
            ExportedEntry(
                r["function"],
                r["name"],
                r["type"],
                r["params"],
                tuple(r["computations"]),
                tuple(r["buckets"]),
                tuple(r["platforms"]),
                tuple(r.get("executables", ())),
            )
            for r in rows
        )

    @property
    def rebuilt(self) -> tuple[RebuiltEntry, ...]:
        """The backends rebuilt from the config at load, with the reason."""
        rows = self.manifest.get("backends", {}).get("rebuilt", [])
        return tuple(RebuiltEntry(r["function"], r["name"], r["type"], r["reason"]) for r in rows)

    @property
    def state_step(self) -> int | None:
        """The step of the learned state the manifest names (``None``: no state)."""
        state = self.manifest.get("state")
        return None if state is None else int(state["step"])

    def __repr__(self) -> str:
        return f"Artifact({str(self.path)!r})"


def open_artifact(path: str | Path) -> Artifact:
    """The artifact at ``path``, checked (see the module docstring); ``ArtifactError`` listing
    every problem otherwise."""
    root = Path(path)
    manifest = _read_manifest(root)
    problems = _version_problems(manifest)
    if problems:
        raise ArtifactError(f"{root}: " + "; ".join(problems))
    for name, digest in manifest.get("files", {}).items():
        problems += _file_problems(root, name, digest)
    state = manifest.get("state")
    if state is not None:
        step_dir = root / STATE / str(state["step"])
        if not step_dir.is_dir():
            problems.append(f"{STATE}/{state['step']}: missing (the learned state)")
        elif tree_digest(step_dir) != state["sha256"]:
            problems.append(f"{STATE}/{state['step']}: content differs from the manifest's hash")
    if problems:
        raise ArtifactError(f"{root}: does not match its manifest:\n  " + "\n  ".join(problems))
    return Artifact(root, manifest)


def _read_manifest(root: Path) -> dict[str, Any]:
    if not root.exists():
        raise ArtifactError(f"{root}: no such artifact")
    if not (root / MANIFEST).is_file():
        raise ArtifactError(
            f"{root}: not an fmpc artifact (no {MANIFEST}; make one with fmpc build)"
        )
    try:
        manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"{root / MANIFEST}: cannot be read ({exc})") from None
    if not isinstance(manifest, dict):
        raise ArtifactError(f"{root / MANIFEST}: expected a JSON object")
    return manifest


def _version_problems(manifest: Mapping[str, Any]) -> list[str]:
    if manifest.get("format") != FORMAT:
        return [f"not an fmpc artifact (format {manifest.get('format')!r})"]
    version = manifest.get("format_version")
    if not isinstance(version, int) or version < 1:
        return [f"bad format version {version!r}"]
    if version > FORMAT_VERSION:
        from fmpc import __version__

        return [
            f"artifact format {version} is newer than this fmpc ({__version__}) reads "
            f"(up to {FORMAT_VERSION}); it was built by fmpc {manifest.get('fmpc_version')}: "
            "upgrade fmpc to load it"
        ]
    return []


def _file_problems(root: Path, name: str, digest: str) -> list[str]:
    file = root / name
    if not file.is_file():
        return [f"{name}: missing"]
    if file_digest(file) != digest:
        return [f"{name}: content differs from the manifest's hash (changed after the build)"]
    return []


def file_digest(path: Path) -> str:
    """``sha256:<hex>`` of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return f"sha256:{digest.hexdigest()}"


def tree_digest(directory: Path) -> str:
    """``sha256:<hex>`` of a directory: every file's relative path and digest, sorted."""
    digest = hashlib.sha256()
    for file in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(f"{file.relative_to(directory).as_posix()}\0{file_digest(file)}\n".encode())
    return f"sha256:{digest.hexdigest()}"


# ---------------------------------------------------------------- writing


class ArtifactWriter:
    """Writes an artifact's files into a temporary directory beside ``path``; ``commit``
    adds the manifest and renames the directory to ``path`` (replacing what was there)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        parent = self.path.absolute().parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            self.root = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.", dir=parent))
        except OSError as exc:
            raise ArtifactError(f"{self.path}: cannot write ({exc.strerror})") from None
        self._files: dict[str, str] = {}

    def write(self, name: str, data: bytes | str) -> None:
        """Write the file ``name`` (a relative path) and record its hash."""
        file = self.root / name
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        self._files[name] = file_digest(file)

    def write_json(self, name: str, data: Any) -> None:
        """Write ``data`` as indented JSON."""
        self.write(name, json.dumps(data, indent=1, sort_keys=False) + "\n")

    def commit(self, manifest: Mapping[str, Any]) -> Path:
        """Write the manifest (``manifest`` plus format, versions and hashes) and move the
        artifact into place."""
        full = {**header(), **manifest, "files": dict(sorted(self._files.items()))}
        state_dir = self.root / STATE
        if full.get("state") is not None:
            step = int(full["state"]["step"])
            full["state"] = {"step": step, "sha256": tree_digest(state_dir / str(step))}
        (self.root / MANIFEST).write_text(json.dumps(full, indent=1) + "\n", encoding="utf-8")
        if self.path.exists():
            if not (self.path / MANIFEST).is_file():
                self.abort()
                raise ArtifactError(f"{self.path}: exists and is not an artifact; not replacing it")
            shutil.rmtree(self.path)
        os.replace(self.root, self.path)
        return self.path

    def abort(self) -> None:
        """Remove what was written."""
        shutil.rmtree(self.root, ignore_errors=True)


def header() -> dict[str, Any]:
    """What every manifest starts with: the format, its version, the versions that wrote it."""
    import jax

    from fmpc import __version__

    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "fmpc_version": __version__,
        "jax_version": jax.__version__,
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }


def save_state(artifact: Artifact, policy: Policy, step: int) -> Artifact:
    """Save ``policy``'s learned state into ``artifact`` as ``step`` (Orbax) and point the
    manifest at it; returns the updated artifact."""
    from fmpc.policies.checkpoint import save_policy

    state_dir = artifact.path / STATE
    save_policy(policy, state_dir, inputs_seen=step)
    manifest = dict(artifact.manifest)
    manifest["state"] = {"step": step, "sha256": tree_digest(state_dir / str(step))}
    manifest["state_saved"] = header()["created"]
    temporary = artifact.path / f".{MANIFEST}.tmp"
    temporary.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    os.replace(temporary, artifact.path / MANIFEST)
    return Artifact(artifact.path, manifest)


def restore_state(artifact: Artifact, policy: Policy) -> int:
    """Restore the learned state the manifest names into ``policy`` (bound to the program);
    returns its step (0 without state)."""
    step = artifact.state_step
    if step is None:
        return 0
    from fmpc.policies.checkpoint import CheckpointError, restore_policy

    try:
        return restore_policy(policy, artifact.path / STATE, step=step)
    except CheckpointError as exc:
        raise ArtifactError(f"{artifact.path}: the learned state does not fit ({exc})") from None
