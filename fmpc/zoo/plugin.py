"""How the runtime finds the model zoo: the ``zoo`` backend type, registered as an entry point in
fmpc's ``pyproject.toml``, and the zoo's default backend table::

    [project.entry-points."fmpc.backend_types"]
    zoo = "fmpc.zoo.plugin:ZOO_BACKEND_TYPE"

A ``type: zoo`` config entry serves one zoo backend of its function, named by ``options.model``
(default: the entry's ``name``)::

    functions:
      exists:
        - {name: small, type: zoo, options: {model: det-s}}
        - {name: det-l, type: zoo}

Its cost is measured (FLOPs), never declared; its weights load on first use.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from fmpc.runtime.backends.build import FactoryError
from fmpc.runtime.backends.table import BackendTable
from fmpc.runtime.config import BackendType, Spec

ZOO = "zoo"
"""The name of the zoo's backend type."""


class ZooOptions(BaseModel):
    """``model``: the zoo backend to serve (``det-s``, ``cls-m``, ``qa-l``, ...; default: the
    entry's name); ``fmpc zoo list`` lists them by function."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str | None = None


class ZooSpec(Spec):
    """A backend of fmpc's model zoo; its cost is measured by XLA, never declared."""

    hints: ClassVar[Mapping[tuple[str, str], str]] = MappingProxyType(
        {("cost", "extra_forbidden"): "a zoo backend's cost is measured by XLA, never declared"}
    )

    type: Literal["zoo"]
    options: ZooOptions = Field(default_factory=ZooOptions)


def zoo_factory(function: str, spec: ZooSpec) -> Any:
    """The ``LazyBackend`` of a ``type: zoo`` entry (its weights load on first use), with the
    manifest's FLOPs as its nominal cost."""
    from fmpc.zoo.backends import LazyBackend
    from fmpc.zoo.store import read_manifest

    row = _row(function, spec)
    flops = _manifest_costs(read_manifest()).get((function, row.name))
    return LazyBackend(dataclasses.replace(row, name=spec.name), nominal_cost=flops)


def zoo_io(function: str, spec: ZooSpec) -> tuple[Any, Any]:
    """The ``(preprocess, postprocess)`` of a ``type: zoo`` entry, without its weights: an
    artifact serves it from its exported computation (``fmpc build``)."""
    from fmpc.zoo.backends import serving_io

    return serving_io(_row(function, spec))


def _row(function: str, spec: ZooSpec) -> Any:
    from fmpc.zoo.backends import backend_specs

    model = spec.options.model or spec.name
    rows = [row for row in backend_specs() if row.function == function]
    row = next((r for r in rows if r.name == model), None)
    if row is None:
        offered = ", ".join(r.name for r in rows) or "none"
        message = (
            f"the zoo has no {function} backend {model!r} (its {function} backends: {offered})"
        )
        raise FactoryError("options.model" if spec.options.model else "name", message)
    return row


ZOO_BACKEND_TYPE = BackendType(ZOO, ZooSpec, zoo_factory, io=zoo_io)
"""``type: zoo`` in backend configs."""


def zoo_config() -> str:
    """The model zoo as a backend config (YAML): every backend but the monolithic model, by
    function, cheapest first, as ``type: zoo`` entries. What ``fmpc build`` records when it is
    given no ``--backends``."""
    import yaml

    from fmpc.zoo.backends import backend_specs

    functions: dict[str, list[dict[str, str]]] = {}
    for row in backend_specs():
        if not row.monolithic:
            functions.setdefault(row.function, []).append({"name": row.name, "type": ZOO})
    return yaml.safe_dump({"version": 1, "functions": functions}, sort_keys=False)


class ZooUnavailable(RuntimeError):
    """The zoo cannot serve: its code does not load or no weights are shipped (train them with
    ``fmpc zoo train``)."""


def zoo_table() -> tuple[BackendTable, Mapping[tuple[str, str], float]]:
    """The model zoo's backends (the monolithic model aside) and their measured FLOPs (from the
    zoo's manifest); ``ZooUnavailable`` says what is missing."""
    hint = "train it with `fmpc zoo train`"
    try:
        from fmpc.zoo.backends import zoo_backends
        from fmpc.zoo.store import read_manifest

        manifest = read_manifest()
        groups = zoo_backends()
    except Exception as exc:  # the zoo is optional: say what is wrong and what to do
        raise ZooUnavailable(
            f"the model zoo cannot be loaded ({type(exc).__name__}: {exc}); {hint}"
        ) from None
    if not manifest.get("backends"):
        raise ZooUnavailable(f"the model zoo has no trained weights; {hint}")
    table = BackendTable({f: tuple(bs) for f, bs in groups.items()})
    return table, _manifest_costs(manifest)


def _manifest_costs(manifest: Mapping[str, Any]) -> dict[tuple[str, str], float]:
    rows = manifest.get("backends", [])
    return {(str(r["function"]), str(r["name"])): float(r["flops"]) for r in rows if "flops" in r}
