"""Load an artifact's parts: the program, its backends (exported ones from the artifact, the
others rebuilt from its config), its policy with the learned state, each checked against what
the artifact recorded.

Every mismatch is an ``ArtifactError`` saying exactly what differs: a backend that cannot be
built here (its type is not installed, its target does not import), an exported backend whose
type cannot prepare its inputs, a policy whose hyperparameters are not those recorded, a site
table that is not the artifact's, a learned state saved for other sites.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from fmpc.deploy.artifact import Artifact, ArtifactError, ExportedEntry, restore_state
from fmpc.deploy.build import (
    Parts,
    PolicyRecord,
    hyperparameters,
    site_costs,
    site_table,
    used_config,
)
from fmpc.runtime.backends.base import Backend
from fmpc.runtime.backends.table import BackendTable
from fmpc.runtime.config import BackendConfig, BackendTypes, ConfigError


def load_parts(
    artifact: Artifact, *, types: BackendTypes | None = None, use_compiled: bool = True
) -> Parts:
    """The parts of ``artifact`` (opened with ``open_artifact``), ready to serve; with
    ``use_compiled``, exported backends load the executables compiled at build time when this
    machine is the one they were compiled for (else they compile their StableHLO)."""
    from fmpc.ir import from_json, verify
    from fmpc.library import DEFAULT_LIBRARY
    from fmpc.runtime.config import parse_config

    try:
        module = from_json(artifact.json("program.json"))
    except (ValueError, KeyError, TypeError) as exc:
        raise ArtifactError(
            f"{artifact.path}/program.json: not an fmpc IR document ({exc})"
        ) from None
    verify(module)
    config_text = artifact.text("backends.yaml")
    source = f"{artifact.path}/backends.yaml"
    try:
        config = parse_config(config_text, source=source, library=DEFAULT_LIBRARY, types=types)
    except ConfigError as exc:
        raise ArtifactError(
            f"{artifact.path}: its backend config cannot be used here:\n{exc}"
        ) from None
    table = _table(artifact, used_config(config, module), types, use_compiled)
    try:
        return _bound(artifact, module, config, config_text, table, types)
    except BaseException:
        table.close()
        raise


def _bound(
    artifact: Artifact,
    module: Any,
    config: BackendConfig,
    config_text: str,
    table: BackendTable,
    types: BackendTypes | None,
) -> Parts:
    from fmpc.runtime.executor import Executor

    record = _record(artifact.json("policy.json"))
    policy = _policy(record, artifact)
    rows = artifact.json("sites.json")
    costs = site_costs(rows)
    executor = Executor(module, table, policy, costs=costs)
    _check_sites(site_table(executor.all_sites, executor.sites), rows, artifact)
    step = restore_state(artifact, policy)
    program = artifact.manifest.get("program", {})
    shape = tuple(program.get("image_shape", (64, 64)))[:2]
    return Parts(
        str(program.get("name", artifact.path.name)),
        artifact.text("source.py"),
        str(program.get("pipeline", "")),
        module,
        config,
        config_text,
        table,
        policy,
        record,
        executor.all_sites,
        executor.sites,
        costs,
        (int(shape[0]), int(shape[1])),
        step,
        types,
    )


# ---------------------------------------------------------------- backends


def _table(
    artifact: Artifact, config: BackendConfig, types: BackendTypes | None, use_compiled: bool
) -> BackendTable:
    from fmpc.runtime.backends.build import backend_types, build_backends
    from fmpc.runtime.backends.export import environment

    compiled_for = artifact.manifest.get("backends", {}).get("compiled_for")
    use_compiled = use_compiled and compiled_for == environment()
    known = types if types is not None else backend_types()
    exported = {(e.function, e.name): e for e in artifact.exported}
    rest = {  # fallbacks may name exported backends: the whole table sets them below
        f: [s.model_copy(update={"fallback": None}) for s in specs if (f, s.name) not in exported]
        for f, specs in config.functions.items()
    }
    rest_config = config.model_copy(update={"functions": {f: s for f, s in rest.items() if s}})
    try:
        rebuilt = build_backends(rest_config, types=types)
    except ConfigError as exc:
        raise ArtifactError(
            f"{artifact.path}: backends it does not carry cannot be rebuilt here:\n{exc}"
        ) from None
    groups: dict[str, tuple[Backend, ...]] = {}
    for function, specs in config.functions.items():
        group = []
        for spec in specs:
            entry = exported.get((function, spec.name))
            if entry is None:
                group.append(rebuilt.backend(function, spec.name))
            else:
                group.append(_exported(artifact, entry, spec, known, use_compiled))
        groups[function] = tuple(group)
    fallbacks = {
        (f, s.name): s.fallback
        for f, specs in config.functions.items()
        for s in specs
        if s.fallback is not None
    }
    return BackendTable(groups, fallbacks)


def _exported(
    artifact: Artifact, entry: ExportedEntry, spec: Any, types: BackendTypes, use_compiled: bool
) -> Backend:
    import jax

    from fmpc.runtime.backends.export import ExportError, exported_backend

    where = f"{artifact.path}: exported backend {entry.name!r} ({entry.function})"
    platform = jax.default_backend()
    if platform not in entry.platforms:
        raise ArtifactError(
            f"{where} was exported for {', '.join(entry.platforms)}, not {platform} "
            "(rebuild the artifact with --platforms including it)"
        )
    if spec.type not in types:
        raise ArtifactError(f"{where}: {types.unknown(spec.type)}")
    backend_type = types[spec.type]
    try:
        parts = backend_type.io(entry.function, spec) if backend_type.io is not None else None
    except Exception as exc:  # the type's own failure, said at the backend
        raise ArtifactError(
            f"{where}: cannot prepare its inputs ({type(exc).__name__}: {exc})"
        ) from None
    if parts is None:
        raise ArtifactError(f"{where}: backend type {spec.type!r} cannot prepare its inputs here")
    blobs = [artifact.bytes(name) for name in entry.computations]
    executables = [
        artifact.bytes(name) if name is not None and use_compiled else None
        for name in entry.executables
    ]
    try:
        return exported_backend(
            entry.name,
            entry.function,
            blobs,
            _params(artifact, entry, blobs[0]),
            preprocess=parts[0],
            postprocess=parts[1],
            executables=executables,
        )
    except ExportError as exc:
        raise ArtifactError(f"{where}: {exc}") from None


def _params(artifact: Artifact, entry: ExportedEntry, blob: bytes) -> Any:
    """The backend's parameters in the tree the computation was exported with."""
    import jax

    from fmpc.runtime.backends.export import deserialize

    exported = deserialize(blob)
    args, _ = exported.in_tree.unflatten(exported.in_avals)
    expected = len(jax.tree.leaves(args[0]))
    with np.load(io.BytesIO(artifact.bytes(entry.params)), allow_pickle=False) as arrays:
        leaves = [arrays[f"arr_{i}"] for i in range(len(arrays.files))]
    if len(leaves) != expected:
        raise ArtifactError(
            f"{artifact.path}/{entry.params}: {len(leaves)} arrays, the computation takes "
            f"{expected}"
        )
    treedef = jax.tree.structure(args[0])
    return jax.tree.unflatten(treedef, leaves)


# ---------------------------------------------------------------- policy and sites


def _record(data: Mapping[str, Any]) -> PolicyRecord:
    return PolicyRecord(
        str(data["spec"]),
        dict(data.get("options", {})),
        str(data.get("name", data["spec"])),
        dict(data.get("hyperparameters", {})),
    )


def _policy(record: PolicyRecord, artifact: Artifact) -> Any:
    from fmpc.policies.base import PolicyError, policy_from_spec

    try:
        policy = policy_from_spec(record.spec, **record.options)
    except PolicyError as exc:
        raise ArtifactError(f"{artifact.path}: its policy cannot be made here ({exc})") from None
    now = json.loads(json.dumps(hyperparameters(policy)))
    if now != record.hyperparameters:
        changed = sorted(
            k
            for k in {*now, *record.hyperparameters}
            if now.get(k) != record.hyperparameters.get(k)
        )
        detail = ", ".join(
            f"{k}: recorded {record.hyperparameters.get(k)!r}, now {now.get(k)!r}" for k in changed
        )
        raise ArtifactError(f"{artifact.path}: the policy's hyperparameters differ ({detail})")
    return policy


def _check_sites(now: list[dict], recorded: list[dict], artifact: Artifact) -> None:
    if now == recorded:
        return
    by_site = {row["site"]: row for row in recorded}
    for row in now:
        saved = by_site.pop(row["site"], None)
        if saved != row:
            raise ArtifactError(
                f"{artifact.path}: site {row['site']} ({row['fn']}) differs from the artifact's "
                f"site table: recorded {saved}, now {row}"
            )
    extra = ", ".join(str(s) for s in by_site)
    raise ArtifactError(f"{artifact.path}: the site table records sites the program lacks: {extra}")
