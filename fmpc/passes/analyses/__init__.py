"""Analyses passes ask for through ``AnalysisManager.get``: cost model, use-def graph, profile,
answer signs."""

from fmpc.passes.analyses.cost import LAZY_REGION_PRIOR, LOOP_TRIPS_PRIOR, CostModel
from fmpc.passes.analyses.manager import (
    DEFAULT_COST_PRIORS,
    Analysis,
    AnalysisInputs,
    AnalysisManager,
)
from fmpc.passes.analyses.profile import (
    Profile,
    ProfileError,
    SiteProfile,
    collect_profile,
)
from fmpc.passes.analyses.profile_data import ProfileData
from fmpc.passes.analyses.signs import AnswerSigns, answer_signs
from fmpc.passes.analyses.usedef import UseDefGraph

__all__ = [
    "DEFAULT_COST_PRIORS",
    "LAZY_REGION_PRIOR",
    "LOOP_TRIPS_PRIOR",
    "Analysis",
    "AnalysisInputs",
    "AnalysisManager",
    "AnswerSigns",
    "CostModel",
    "Profile",
    "ProfileData",
    "ProfileError",
    "SiteProfile",
    "UseDefGraph",
    "answer_signs",
    "collect_profile",
]
