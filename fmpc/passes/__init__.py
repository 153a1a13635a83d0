"""Optimizer passes: pass base and registry, pass manager, analyses, pattern rewriting, and the
passes ``canonicalize``, ``cse``, ``dce``, ``early-exit``, ``cascade``, ``batch`` and ``route``.

::

    from fmpc.passes import PassManager, DEFAULT_PIPELINE
    optimized = PassManager(DEFAULT_PIPELINE).run(module)

See docs/passes.md (the passes and the default pipeline) and docs/writing-a-pass.md (a tutorial).
"""

import fmpc.ir.ops_batch  # noqa: F401  (the batched-call op must be known to the parser)
from fmpc.passes.analyses import (
    Analysis,
    AnalysisInputs,
    AnalysisManager,
    CostModel,
    Profile,
    ProfileData,
    ProfileError,
    UseDefGraph,
    collect_profile,
)
from fmpc.passes.base import (
    DEFAULT_REGISTRY,
    Pass,
    PassError,
    PassRegistry,
    PassResult,
    PipelineError,
    import_pass_module,
    register_pass,
)
from fmpc.passes.batch import Batch
from fmpc.passes.canonicalize import Canonicalize
from fmpc.passes.cascade import Cascade
from fmpc.passes.cse import CSE
from fmpc.passes.dce import DCE
from fmpc.passes.early_exit import EarlyExit
from fmpc.passes.manager import PassFailure, PassManager, PipelineReport
from fmpc.passes.pipeline import DEFAULT_PIPELINE, format_pipeline, parse_pipeline
from fmpc.passes.rewrite import RewritePattern, Rewriter, Rule, apply_patterns
from fmpc.passes.route import Route

__all__ = [
    "CSE",
    "DCE",
    "DEFAULT_PIPELINE",
    "DEFAULT_REGISTRY",
    "Analysis",
    "AnalysisInputs",
    "AnalysisManager",
    "Batch",
    "Canonicalize",
    "Cascade",
    "CostModel",
    "EarlyExit",
    "Pass",
    "PassError",
    "PassFailure",
    "PassManager",
    "PassRegistry",
    "PassResult",
    "PipelineError",
    "PipelineReport",
    "Profile",
    "ProfileData",
    "ProfileError",
    "RewritePattern",
    "Rewriter",
    "Route",
    "Rule",
    "UseDefGraph",
    "apply_patterns",
    "collect_profile",
    "format_pipeline",
    "import_pass_module",
    "parse_pipeline",
    "register_pass",
]
