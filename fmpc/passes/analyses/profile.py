"""Profile data: how often each call site ran and how often its result was truthy, from earlier
runs of the module.

The file format (JSON or YAML; all counts are totals over ``runs`` program runs)::

    format: fmpc-profile
    version: 1
    runs: 200                 # program runs observed
    sites:                    # by call-site id of the profiled module
      0: {executions: 200, truthy: 31}
      1: {executions: 31, truthy: 4, cost: 62.0}

``executions / runs`` is how often a site runs per input; ``truthy / executions`` how often its
result was truthy, hence how often it decides an ``and`` (falsy) or an ``or`` (truthy). ``cost``
(optional) is the total cost observed at the site. Site ids are those of the module that was
profiled: give the profile to a pipeline whose input is that module (``route``, which renumbers
sites, runs last).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from fmpc.ir.core import Module
from fmpc.yaml_source import YamlSyntaxError, read_yaml


class ProfileError(ValueError):
    """A profile file cannot be read or is malformed; the message says where and why."""


class SiteProfile(BaseModel):
    """Totals of one call site over all profiled runs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    executions: int = Field(ge=0)
    truthy: int | None = Field(default=None, ge=0)
    cost: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _truthy_within_executions(self) -> SiteProfile:
        if self.truthy is not None and self.truthy > self.executions:
            raise ValueError(f"truthy ({self.truthy}) exceeds executions ({self.executions})")
        return self


class Profile(BaseModel):
    """Per-site counts from ``runs`` earlier runs of a module (see the module docstring)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal["fmpc-profile"] = "fmpc-profile"
    version: Literal[1] = 1
    runs: int = Field(ge=1)
    sites: dict[int, SiteProfile] = Field(default_factory=dict)

    def executions_per_run(self, site: int) -> float | None:
        """Mean executions of ``site`` per run (``None`` if the site was not profiled)."""
        entry = self.sites.get(site)
        return None if entry is None else entry.executions / self.runs

    def truthy_rate(self, site: int) -> float | None:
        """Fraction of ``site``'s executions with a truthy result (``None`` if unknown)."""
        entry = self.sites.get(site)
        if entry is None or entry.truthy is None or entry.executions == 0:
            return None
        return entry.truthy / entry.executions

    def cost_per_execution(self, site: int) -> float | None:
        """Mean observed cost of one execution of ``site`` (``None`` if unknown)."""
        entry = self.sites.get(site)
        if entry is None or entry.cost is None or entry.executions == 0:
            return None
        return entry.cost / entry.executions

    def renumbered(self, mapping: Mapping[int, int]) -> Profile:
        """This profile with site ids renamed by ``mapping`` (sites not in it are dropped)."""
        sites = {mapping[s]: entry for s, entry in self.sites.items() if s in mapping}
        return self.model_copy(update={"sites": sites})

    # ------------------------------------------------------------ files
    @classmethod
    def loads(cls, text: str, source: str = "<profile>") -> Profile:
        """Parse a profile from JSON or YAML text; ``ProfileError`` says what is wrong."""
        try:
            _, data = read_yaml(text)
        except YamlSyntaxError as exc:
            raise ProfileError(
                exc.issue.format(source).replace("invalid YAML", "not valid JSON or YAML", 1)
            ) from None
        if not isinstance(data, dict):
            raise ProfileError(f"{source}: expected a mapping with 'runs' and 'sites'")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ProfileError(f"{source}: {_describe(exc)}") from None

    @classmethod
    def load(cls, path: str | Path) -> Profile:
        """Read a profile file (JSON or YAML)."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ProfileError(f"{path}: cannot read ({exc.strerror or exc})") from None
        except UnicodeDecodeError as exc:
            raise ProfileError(
                f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"
            ) from None
        return cls.loads(text, str(path))

    def dumps(self) -> str:
        """The profile as JSON text."""
        return json.dumps(self.model_dump(mode="json", exclude_none=True), indent=1)


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "top level"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def collect_profile(
    module: Module,
    backends: Mapping[str, Callable[..., Any]],
    images: Iterable[Any],
    **interpreter_options: Any,
) -> Profile:
    """Run ``module`` on each of ``images`` with the reference interpreter and count, per call
    site, executions and truthy results. Extra keyword arguments go to the interpreter."""
    from fmpc.semantics.interpreter import Interpreter, RunState

    class _Counting(Interpreter):
        def new_run(self, image: Any) -> RunState:
            run = RunState(image)
            run.truthy = Counter()  # type: ignore[attr-defined]
            return run

        def call_routable(self, op: Any, args: list[Any], run: RunState) -> Any:
            value = super().call_routable(op, args, run)
            run.truthy[op.site] += bool(value)  # type: ignore[attr-defined]
            return value

    interpreter = _Counting(module, backends, **interpreter_options)
    executions: Counter[int] = Counter()
    truthy: Counter[int] = Counter()
    runs = 0
    for image in images:
        run = interpreter.new_run(image)
        interpreter.run_function(module.entry, [image], run)
        executions.update(run.calls)
        truthy.update(run.truthy)  # type: ignore[attr-defined]
        runs += 1
    if runs == 0:
        raise ProfileError("cannot profile on no inputs")
    sites = {s: SiteProfile(executions=n, truthy=truthy[s]) for s, n in executions.items()}
    return Profile(runs=runs, sites=sites)
