"""Compile a program with its backends and policy (``compile_parts``), and write it as an
artifact (``write_artifact``): what ``fmpc build`` and ``fmpc.compile`` / ``Program.save`` do.

The artifact records everything needed to serve the program again: the optimized IR and the
pipeline that made it, the backend config, the site table (with the nominal costs the policy
saw), the policy spec with every hyperparameter and its learned state. Each JAX backend the
program calls is compiled for the call sites' argument shapes at every serving batch bucket and
exported (``jax.export``) with its parameters, when its backend type can prepare its inputs
without its model (``BackendType.io``); any other backend is named in the manifest with the
reason, and rebuilt from the config at load.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fmpc.deploy.artifact import ArtifactError, ArtifactWriter, ExportedEntry, RebuiltEntry
from fmpc.ir.core import Module
from fmpc.ir.ops import CallOp, ConstOp
from fmpc.ir.ops_batch import BatchCallOp
from fmpc.ir.types import Bool, Float, Image, Int, ListType, Patch, Str, Type
from fmpc.runtime.backends.base import Args, Backend
from fmpc.runtime.backends.jax import JaxBackend
from fmpc.runtime.backends.table import BackendTable
from fmpc.runtime.config import BackendConfig, BackendTypes
from fmpc.runtime.policy import Policy, SiteInfo
from fmpc.semantics.values import ImageValue, PatchValue

SERVING_BUCKETS = (1, 2, 4, 8, 16)
"""The batch buckets exported by default (a micro-batch holds up to 16 items by default)."""

IMAGE_SHAPE = (64, 64)
"""The input image size (height, width) warmed up for by default: the embedded world's."""


@dataclass(frozen=True)
class PolicyRecord:
    """The policy as an artifact records it: a ``spec`` (with ``options``) that makes it again,
    its ``name`` and every hyperparameter (for people and for checking at load)."""

    spec: str
    options: Mapping[str, Any]
    name: str
    hyperparameters: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The record as JSON data."""
        return {
            "spec": self.spec,
            "options": dict(self.options),
            "name": self.name,
            "hyperparameters": dict(self.hyperparameters),
        }


def policy_record(policy: Policy, spec: str, options: Mapping[str, Any]) -> PolicyRecord:
    """The record of ``policy``, made from ``spec`` with ``options``: the policy's own complete
    spec when it has one (learned policies), else the given one."""
    full = getattr(policy, "spec", None)
    return PolicyRecord(
        full if isinstance(full, str) else spec,
        {k: v for k, v in options.items() if v is not None},
        policy.name,
        hyperparameters(policy),
    )


def hyperparameters(policy: Policy) -> dict[str, Any]:
    """Every hyperparameter of ``policy`` (its config dataclass, target and step when it has
    them), JSON-friendly."""
    import dataclasses

    values: dict[str, Any] = {}
    config = getattr(policy, "config", None)
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        values.update(dataclasses.asdict(config))
    for name in ("target", "step", "seed", "threshold"):
        value = getattr(policy, name, None)
        if isinstance(value, int | float) and not isinstance(value, bool):
            values[name] = value
    return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


@dataclass
class Parts:
    """A compiled program with everything it runs with, and what it was made from."""

    name: str
    source: str
    pipeline: str
    module: Module
    config: BackendConfig
    config_text: str
    table: BackendTable
    policy: Policy
    record: PolicyRecord
    sites: Mapping[int, SiteInfo]
    routed: Mapping[int, SiteInfo]
    costs: Mapping[tuple[str, str], float]
    image_shape: tuple[int, int] = IMAGE_SHAPE
    state_step: int = 0
    types: BackendTypes | None = field(default=None, repr=False)


def used_config(config: BackendConfig, module: Module) -> BackendConfig:
    """``config`` restricted to the functions ``module`` calls."""
    called = {op.fn for op in module.routable_calls() if isinstance(op, CallOp)}
    functions = {f: specs for f, specs in config.functions.items() if f in called}
    return config.model_copy(update={"functions": functions})


def site_table(sites: Mapping[int, SiteInfo], routed: Mapping[int, SiteInfo]) -> list[dict]:
    """The site table as JSON data: per site, its function, backends, nominal costs (``null``
    when unknown) and whether the policy routes it."""
    return [
        {
            "site": info.site,
            "fn": info.fn,
            "backends": list(info.backends),
            "costs": [c if math.isfinite(c) else None for c in info.costs],
            "routed": site in routed,
        }
        for site, info in sorted(sites.items())
    ]


def site_costs(table: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str], float]:
    """The nominal cost of each ``(function, backend)`` of a site table (known ones only)."""
    costs: dict[tuple[str, str], float] = {}
    for row in table:
        for name, cost in zip(row["backends"], row["costs"], strict=True):
            if cost is not None:
                costs[(row["fn"], name)] = float(cost)
    return costs


# ---------------------------------------------------------------- compiling


def compile_parts(
    program: str | Path,
    *,
    backends: str | Path | None = None,
    pipeline: str | None = None,
    policy: str = "static:smallest",
    lam: float | None = None,
    seed: int = 0,
    budget: float | None = None,
    from_checkpoint: str | Path | None = None,
    image_shape: tuple[int, int] = IMAGE_SHAPE,
    types: BackendTypes | None = None,
) -> Parts:
    """Compile the Python program at ``program`` with ``pipeline`` (default: the default
    pipeline), build the backends of ``backends`` (a config file; default: the model zoo) it
    calls, make the ``policy`` (spec, with ``lam``/``seed``/``budget``) and bind it, restoring
    the learned state of a ``fmpc run --checkpoint`` directory ``from_checkpoint``.

    Raises ``CompileError``, ``PassError``, ``ConfigError``, ``PolicyError``, ``RoutingError``
    or ``ArtifactError`` saying what is wrong."""
    from fmpc.frontend import compile_source
    from fmpc.ir import verify
    from fmpc.library import DEFAULT_LIBRARY
    from fmpc.passes import DEFAULT_PIPELINE, PassManager
    from fmpc.policies.base import policy_from_spec
    from fmpc.runtime.backends.build import build_backends
    from fmpc.runtime.config import parse_config
    from fmpc.runtime.executor import Executor

    path = Path(program)
    source = _read(path, "program")
    pipeline = DEFAULT_PIPELINE if pipeline is None else pipeline
    module = PassManager(pipeline).run(compile_source(source, path.name))
    verify(module)
    config_text = _read(Path(backends), "backend config") if backends else _zoo_config()
    where = str(backends) if backends else "<the model zoo>"
    config = parse_config(config_text, source=where, library=DEFAULT_LIBRARY, types=types)
    table = build_backends(used_config(config, module), types=types)
    options: dict[str, Any] = {"seed": seed, "lam": lam, "budget": budget}
    try:
        made = policy_from_spec(policy, **options)
        if getattr(made, "prepare", None) is not None:
            raise ArtifactError(
                f"policy {made.name} prepares itself on a labelled stream (fmpc run); "
                "it cannot be built into an artifact"
            )
        executor = Executor(module, table, made)
        step = _restore(made, from_checkpoint) if from_checkpoint is not None else 0
    except BaseException:
        table.close()
        raise
    return Parts(
        path.name,
        source,
        pipeline,
        module,
        config,
        config_text,
        table,
        made,
        policy_record(made, policy, options),
        executor.all_sites,
        executor.sites,
        {},
        image_shape,
        step,
        types,
    )


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ArtifactError(f"{path}: no such {what}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"{path}: cannot read the {what} ({exc})") from None


def _zoo_config() -> str:
    from fmpc.zoo.plugin import zoo_config

    return zoo_config()


def _restore(policy: Policy, directory: str | Path) -> int:
    from fmpc.policies.checkpoint import CheckpointError, restore_policy

    try:
        return restore_policy(policy, directory)
    except CheckpointError as exc:
        raise ArtifactError(
            f"--from-checkpoint: {exc} (a checkpoint fits the program compiled with the same "
            "pipeline: `fmpc run PROG.py` applies the default one, `-p` another)"
        ) from None


# ---------------------------------------------------------------- samples


def sample_arguments(module: Module, function: str, shape: tuple[int, int]) -> list[Args]:
    """One argument tuple per call site of ``function``: the site's constant arguments where
    it has them (a question's form can change a model's input shapes), else a plain value of
    each parameter's type on a blank ``shape`` image."""
    image = ImageValue(np.full((*shape, 3), 0.5, np.float32), id="fmpc-sample")
    samples: list[Args] = []
    for op in module.routable_calls():
        if not isinstance(op, CallOp) or op.fn != function:
            continue
        batched = op.batched if isinstance(op, BatchCallOp) else ()
        samples.append(
            tuple(_argument(operand, i in batched, image) for i, operand in enumerate(op.operands))
        )
    return samples


def _argument(operand: Any, batched: bool, image: ImageValue) -> Any:
    kind = operand.type.element if batched and isinstance(operand.type, ListType) else operand.type
    owner = operand.owner
    if isinstance(owner, ConstOp) and not batched:
        return owner.attributes["value"]
    return _plain(kind, image)


def _plain(kind: Type, image: ImageValue) -> Any:
    if kind == Image:
        return image
    if kind == Patch:
        return PatchValue.whole(image)
    if isinstance(kind, ListType):
        return [_plain(kind.element, image)]
    return {Str: "object", Int: 1, Float: 0.5, Bool: True}.get(kind)


# ---------------------------------------------------------------- exporting


def jax_backend_of(backend: Backend) -> JaxBackend | None:
    """The ``JaxBackend`` behind ``backend``: itself, or what a lazy wrapper's ``loaded()``
    gives (the zoo's backends load their weights on first use)."""
    if isinstance(backend, JaxBackend):
        return backend
    loaded = getattr(backend, "loaded", None)
    if callable(loaded):
        inner = loaded()
        return inner if isinstance(inner, JaxBackend) else None
    return None


@dataclass(frozen=True)
class _Export:
    entry: ExportedEntry
    files: Mapping[str, bytes]


def export_one(
    function: str,
    spec: Any,
    backend: Backend,
    parts: Parts,
    buckets: Sequence[int],
    platforms: Sequence[str] | None,
) -> _Export | RebuiltEntry:
    """Export one backend's computations, or say why it is rebuilt from the config."""
    from fmpc.runtime.backends.base import BackendFailure
    from fmpc.runtime.backends.export import ExportError, export_backend

    def rebuilt(reason: str) -> RebuiltEntry:
        return RebuiltEntry(function, spec.name, spec.type, reason)

    backend_type = _types(parts)[spec.type]
    try:
        jax_backend = jax_backend_of(backend)
    except Exception as exc:  # a lazy backend that cannot load its model
        return rebuilt(f"cannot load it: {type(exc).__name__}: {exc}")
    if jax_backend is None:
        return rebuilt(f"a {spec.type} backend is not a JAX computation")
    if backend_type.io is None or backend_type.io(function, spec) is None:
        return rebuilt(
            f"backend type {spec.type!r} cannot prepare its inputs without its model "
            "(give the entry an io function to export it)"
        )
    wanted = [b for b in buckets if b in jax_backend.buckets] or list(jax_backend.buckets[:1])
    problems = []
    for args in sample_arguments(parts.module, function, parts.image_shape):
        try:
            jax_backend.warm(args, wanted)
        except BackendFailure as exc:
            problems.append(str(exc))
    if problems and not jax_backend.compilations:
        return rebuilt(f"no sample call could be compiled: {problems[0]}")
    try:
        blobs = export_backend(jax_backend, platforms)
    except ExportError as exc:
        return rebuilt(str(exc))
    return _files(function, spec, jax_backend, blobs, platforms, wanted)


def _files(
    function: str,
    spec: Any,
    backend: JaxBackend,
    blobs: Sequence[tuple[bytes, bytes | None]],
    platforms: Sequence[str] | None,
    buckets: Sequence[int],
) -> _Export:
    import jax

    folder = f"backends/{function}/{spec.name}"
    files: dict[str, bytes] = {}
    executables: list[str | None] = []
    for i, (stablehlo, executable) in enumerate(blobs):
        files[f"{folder}/computation-{i}.stablehlo"] = stablehlo
        executables.append(f"{folder}/computation-{i}.xla" if executable is not None else None)
        if executable is not None:
            files[f"{folder}/computation-{i}.xla"] = executable
    buffer = io.BytesIO()
    leaves = [np.asarray(leaf) for leaf in jax.tree.leaves(backend.params)]
    np.savez(buffer, *leaves)
    files[f"{folder}/params.npz"] = buffer.getvalue()
    entry = ExportedEntry(
        function,
        spec.name,
        spec.type,
        f"{folder}/params.npz",
        tuple(name for name in files if name.endswith(".stablehlo")),
        tuple(buckets),
        tuple(platforms or (jax.default_backend(),)),
        tuple(executables),
    )
    return _Export(entry, files)


def _types(parts: Parts) -> BackendTypes:
    if parts.types is not None:
        return parts.types
    from fmpc.runtime.backends.build import backend_types

    return backend_types()


# ---------------------------------------------------------------- writing


def write_artifact(
    parts: Parts,
    path: str | Path,
    *,
    buckets: Sequence[int] = SERVING_BUCKETS,
    platforms: Sequence[str] | None = None,
    export: bool = True,
) -> Path:
    """Write ``parts`` as the artifact ``path`` (see the module docstring); with
    ``export=False`` every backend is rebuilt from the config at load."""
    import jax

    from fmpc.ir import to_json
    from fmpc.policies.checkpoint import save_policy
    from fmpc.runtime.backends.export import environment

    writer = ArtifactWriter(path)
    try:
        writer.write("source.py", parts.source)
        writer.write_json("program.json", to_json(parts.module))
        writer.write("backends.yaml", parts.config_text)
        writer.write_json("policy.json", parts.record.to_json())
        writer.write_json("sites.json", site_table(parts.sites, parts.routed))
        exported, rebuilt = _export_all(parts, writer, buckets, platforms, export)
        has_state = bool(jax.tree.leaves(parts.policy.state()))
        if has_state:
            save_policy(parts.policy, writer.root / "state", inputs_seen=parts.state_step)
        manifest = {
            "program": {
                "name": parts.name,
                "pipeline": parts.pipeline,
                "result_type": str(parts.module.entry.attributes.get("result_type")),
                "image_shape": list(parts.image_shape),
            },
            "policy": {"name": parts.record.name, "spec": parts.record.spec},
            "backends": {
                "exported": [_entry_json(e) for e in exported],
                "rebuilt": [r.__dict__ for r in rebuilt],
                "compiled_for": environment(),
            },
            "state": {"step": parts.state_step} if has_state else None,
        }
        return writer.commit(manifest)
    except BaseException:
        writer.abort()
        raise


def _export_all(
    parts: Parts,
    writer: ArtifactWriter,
    buckets: Sequence[int],
    platforms: Sequence[str] | None,
    export: bool,
) -> tuple[list[ExportedEntry], list[RebuiltEntry]]:
    exported: list[ExportedEntry] = []
    rebuilt: list[RebuiltEntry] = []
    for function, specs in used_config(parts.config, parts.module).functions.items():
        for spec in specs:
            backend = parts.table.backend(function, spec.name)
            if not export:
                rebuilt.append(RebuiltEntry(function, spec.name, spec.type, "built without export"))
                continue
            outcome = export_one(function, spec, backend, parts, buckets, platforms)
            if isinstance(outcome, RebuiltEntry):
                rebuilt.append(outcome)
                continue
            for name, data in outcome.files.items():
                writer.write(name, data)
            exported.append(outcome.entry)
    return exported, rebuilt


def _entry_json(entry: ExportedEntry) -> dict[str, Any]:
    return {
        "function": entry.function,
        "name": entry.name,
        "type": entry.type,
        "params": entry.params,
        "computations": list(entry.computations),
        "buckets": list(entry.buckets),
        "platforms": list(entry.platforms),
        "executables": list(entry.executables),
    }


def check_buckets(buckets: Sequence[int]) -> tuple[int, ...]:
    """``buckets`` sorted, or ``ArtifactError`` when one is not a positive size."""
    if not buckets or any(b < 1 for b in buckets):
        raise ArtifactError(f"batch buckets must be sizes >= 1, got {list(buckets)}")
    return tuple(sorted(set(buckets)))
