"""JAX backends ahead of time: their compiled computations as serialized StableHLO
(``jax.export``), and backends rebuilt from them without the model's code.

::

    backend.warm(sample_args)                         # compile every batch bucket
    blobs = export_backend(backend, platforms=("cpu", "cuda"))   # one bytes per (shapes, bucket)
    served = exported_backend("det-s", "find", blobs, params, preprocess=pre, postprocess=post)
    served.warm_all()                                 # compile them here, before serving

``exported_backend`` makes a ``JaxBackend`` whose ``apply_fn`` is an ``ExportedApply``: called
with inputs of an exported shape it calls that computation (``Exported.call``), so tracing it
costs nothing and never runs the model's Python code. Inputs of another shape fail with a
``BackendFailure`` naming the shapes that were exported. Its cost is measured like any JAX
backend's (XLA's cost analysis of the compiled executable), and its batch buckets are the
exported ones.

**Compiled executables.** XLA compiles each computation in about half a second on a CPU, which
makes a cold start slow. ``export_backend`` therefore also serializes the executable it compiled
(XLA's own bytes, in JAX's pickle-based envelope), and ``exported_backend(...,
executables=...)`` loads those instead of compiling, when the machine is the one they were
compiled for (``environment()``: JAX and jaxlib versions, platform, devices and, on CPUs, their
feature flags). The envelope is read with an unpickler that admits only the handful of JAX and
NumPy classes it holds, never arbitrary code; an executable that does not load is compiled from
its StableHLO instead.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import platform
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jax
import numpy as np

from fmpc.runtime.backends.jax import JaxBackend, Postprocess, Preprocess

Shapes = tuple[tuple[tuple[int, ...], str], ...]
"""The shape and dtype of every input leaf of one call, batch axis included."""


class ExportError(ValueError):
    """A computation cannot be exported or read back; the message says which and why."""


def export_backend(
    backend: JaxBackend, platforms: Sequence[str] | None = None
) -> list[tuple[bytes, bytes | None]]:
    """Every computation ``backend`` has compiled, exported for ``platforms`` (default: the
    current one): per (input shapes, batch bucket), its serialized StableHLO and its compiled
    executable (``None`` when XLA cannot serialize it)."""
    try:
        return [
            (bytes(exported.serialize()), _serialize_executable(compiled))
            for exported, compiled in backend.export(platforms)
        ]
    except Exception as exc:  # jax raises many kinds for what it cannot export
        raise ExportError(
            f"jax backend {backend.name!r} ({backend.function}) cannot be exported: "
            f"{type(exc).__name__}: {exc}"
        ) from exc


class ExportedApply:
    """An ``apply_fn(params, *inputs)`` that calls the exported computation of the inputs'
    shapes; see the module docstring."""

    def __init__(
        self, computations: Iterable[Any], executables: Sequence[bytes | None] = ()
    ) -> None:
        by_shapes: dict[Shapes, Any] = {}
        items: dict[Any, tuple[Any, ...]] = {}
        compiled: dict[Shapes, bytes] = {}
        for i, exported in enumerate(computations):
            args, _ = exported.in_tree.unflatten(exported.in_avals)
            inputs = tuple(args[1:])
            by_shapes[_shapes(inputs)] = exported
            items[_shapes(inputs, batch=False)] = jax.tree.map(_item_spec, inputs)
            if i < len(executables) and executables[i] is not None:
                compiled[_shapes(inputs)] = executables[i]  # type: ignore[assignment]
        if not by_shapes:
            raise ExportError("no exported computations")
        self._by_shapes = MappingProxyType(by_shapes)
        self._items = tuple(items.values())
        self._executables = MappingProxyType(compiled)
        self.buckets = tuple(sorted({shapes[0][0][0] for shapes in by_shapes if shapes}))
        self.__name__ = "exported_apply"

    @property
    def platforms(self) -> tuple[str, ...]:
        """The platforms every computation was exported for."""
        common = None
        for exported in self._by_shapes.values():
            mine = set(exported.platforms)
            common = mine if common is None else common & mine
        return tuple(sorted(common or ()))

    def item_inputs(self) -> tuple[tuple[Any, ...], ...]:
        """One item's model inputs (``jax.ShapeDtypeStruct`` pytrees, no batch axis) for every
        exported input signature, to ``JaxBackend.warm_shapes`` with."""
        return self._items

    def compiled(self, inputs: Any) -> Any | None:
        """The executable compiled beforehand for ``inputs`` (batched shapes), loaded, or
        ``None`` (none was given, or it does not load here)."""
        shapes = _shapes(inputs)
        payload = self._executables.get(shapes)
        if payload is None:
            return None
        exported = self._by_shapes[shapes]
        return load_executable(payload, exported.in_tree, exported.out_tree)

    def __call__(self, params: Any, *inputs: Any) -> Any:
        shapes = _shapes(inputs)
        exported = self._by_shapes.get(shapes)
        if exported is None:
            known = "; ".join(_show(s) for s in self._by_shapes)
            raise ExportError(
                f"no exported computation for inputs of shapes {_show(shapes)} (exported: {known})"
            )
        return exported.call(params, *inputs)


def deserialize(blob: bytes) -> Any:
    """A serialized computation read back (``ExportError`` when it is not one)."""
    from jax import export

    try:
        return export.deserialize(bytearray(blob))
    except Exception as exc:  # flatbuffers and jax raise several kinds for bad bytes
        raise ExportError(f"not a serialized jax.export computation ({exc})") from None


def exported_backend(
    name: str,
    function: str,
    computations: Sequence[bytes],
    params: Any,
    *,
    preprocess: Preprocess | None = None,
    postprocess: Postprocess | None = None,
    executables: Sequence[bytes | None] = (),
) -> ExportedBackend:
    """A backend serving ``function`` from serialized ``computations`` (StableHLO, from
    ``export_backend``) with ``params`` (the pytree they were exported with); ``executables``,
    one per computation (or ``None``), are loaded instead of compiling when they fit."""
    apply = ExportedApply((deserialize(blob) for blob in computations), executables)
    return ExportedBackend(name, function, apply, params, preprocess, postprocess)


class ExportedBackend(JaxBackend):
    """A ``JaxBackend`` running exported computations (``exported_backend`` makes one)."""

    def __init__(
        self,
        name: str,
        function: str,
        apply: ExportedApply,
        params: Any,
        preprocess: Preprocess | None,
        postprocess: Postprocess | None,
    ) -> None:
        super().__init__(
            name,
            function,
            apply,
            params,
            preprocess=preprocess,
            postprocess=postprocess,
            batch_buckets=apply.buckets,
        )
        self.apply = apply

    def _precompiled(self, inputs: Any) -> Any | None:
        return self.apply.compiled(inputs)

    def warm_all(self) -> int:
        """Compile every exported computation; returns how many were compiled now."""
        return sum(self.warm_shapes(inputs) for inputs in self.apply.item_inputs())

    def __repr__(self) -> str:
        return f"ExportedBackend({self.name!r}, {self.function!r}, buckets={self.buckets})"


def _shapes(inputs: Any, *, batch: bool = True) -> Shapes:
    leaves = jax.tree.leaves(inputs)
    return tuple(
        (tuple(leaf.shape) if batch else tuple(leaf.shape[1:]), np.dtype(leaf.dtype).str)
        for leaf in leaves
    )


def _item_spec(aval: Any) -> jax.ShapeDtypeStruct:
    return jax.ShapeDtypeStruct(tuple(aval.shape[1:]), aval.dtype)


def _show(shapes: Shapes) -> str:
    return ", ".join(f"{np.dtype(dtype).name}{list(shape)}" for shape, dtype in shapes)


# ---------------------------------------------------------------- compiled executables


def environment() -> str:
    """A digest of what a compiled executable depends on: JAX and jaxlib versions, the
    platform, its version and devices, the machine and (on CPUs) the CPU's feature flags."""
    import jaxlib

    device = jax.devices()[0]
    parts = [
        jax.__version__,
        jaxlib.__version__,
        device.platform,
        str(getattr(device.client, "platform_version", "")),
        ",".join(sorted({d.device_kind for d in jax.devices()})),
        str(len(jax.devices())),
        platform.machine(),
        _cpu_flags() if device.platform == "cpu" else "",
    ]
    return "sha256:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _cpu_flags() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return platform.processor()
    for line in text.splitlines():
        if line.startswith(("flags", "Features")):
            return " ".join(sorted(line.partition(":")[2].split()))
    return platform.processor()


def _serialize_executable(compiled: Any) -> bytes | None:
    from jax.experimental import serialize_executable

    try:
        payload, _, _ = serialize_executable.serialize(compiled)
    except (ValueError, NotImplementedError, TypeError):  # XLA cannot serialize this one
        return None
    return bytes(payload)


_ALLOWED: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "jax": frozenset({"P"}),
        "jax._src.core": frozenset({"ManualAxisType", "MemorySpace", "ShapedArray"}),
        "jax._src.interpreters.pxla": frozenset({"AllArgsInfo", "UnloadedMeshExecutable"}),
        "jax._src.layout": frozenset({"Layout"}),
        "jax._src.linear_util": frozenset({"DebugInfo"}),
        "jax._src.mesh": frozenset({"AbstractMesh"}),
        "jax._src.named_sharding": frozenset({"_unpickle_named_sharding"}),
        "jax._src.sharding_impls": frozenset({"_unpickle_single_device_sharding"}),
        "jax._src.stages": frozenset({"ArgInfo"}),
        "jaxlib._jax": frozenset({"DeviceList"}),
        "numpy": frozenset({"dtype"}),
    }
)
"""The only classes and functions the executable envelope may name."""


def load_executable(payload: bytes, in_tree: Any, out_tree: Any) -> Any | None:
    """The executable of ``payload`` loaded on the default device, or ``None`` when it does
    not load here (another machine, another JAX) or names anything outside ``_ALLOWED``."""
    from jax.experimental import serialize_executable

    try:
        _Checker(io.BytesIO(payload)).load()
    except Exception:  # refused, or not an envelope: the caller compiles from StableHLO
        return None
    try:
        return serialize_executable.deserialize_and_load(payload, in_tree, out_tree)
    except Exception:  # not loadable here: the caller compiles from StableHLO
        return None


class _Checker(pickle.Unpickler):
    """Reads an executable envelope admitting nothing but ``_ALLOWED`` (and leaving the
    executable itself out), so that a tampered envelope is refused before JAX reads it."""

    def __init__(self, file: Any) -> None:
        super().__init__(file)
        self._client = jax.devices()[0].client
        self._devices = {d.id: d for d in self._client.devices()}

    def find_class(self, module: str, name: str) -> Any:
        if name not in _ALLOWED.get(module, frozenset()):
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in an executable")
        return super().find_class(module, name)

    def persistent_load(self, pid: Any) -> Any:
        kind = pid[0] if isinstance(pid, tuple) and pid else None
        if kind == "device":
            return self._devices[pid[1]]
        if kind == "client":
            return self._client
        if kind == "exec":
            return None
        raise pickle.UnpicklingError(f"unexpected reference {kind!r} in an executable")
