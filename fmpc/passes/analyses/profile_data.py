"""The profile analysis: the pipeline's profile data (if any) as seen by passes."""

from __future__ import annotations

from dataclasses import dataclass

from fmpc.ir.core import Module
from fmpc.passes.analyses.manager import Analysis, AnalysisManager
from fmpc.passes.analyses.profile import Profile


@dataclass(frozen=True)
class ProfileData(Analysis):
    """Per-site counts from earlier runs, or nothing. Keyed by call-site id, so it stays valid
    until a pass renumbers sites (``route``)."""

    profile: Profile | None

    @classmethod
    def compute(cls, module: Module, analyses: AnalysisManager) -> ProfileData:
        return cls(analyses.inputs.profile)

    def executions_per_run(self, site: int) -> float | None:
        """Mean executions of ``site`` per run, if profiled."""
        return None if self.profile is None else self.profile.executions_per_run(site)

    def truthy_rate(self, site: int) -> float | None:
        """Fraction of truthy results at ``site``, if profiled."""
        return None if self.profile is None else self.profile.truthy_rate(site)

    def cost_per_execution(self, site: int) -> float | None:
        """Mean observed cost per execution of ``site``, if profiled."""
        return None if self.profile is None else self.profile.cost_per_execution(site)
