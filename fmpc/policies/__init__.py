"""Policies choose a backend for every call site on every input: the protocol (defined in
``fmpc.runtime.policy``, which the executor calls), static and random baselines, and (registered
by name) the learned ones. See docs/runtime.md.

Names are imported on first access, so importing ``fmpc.policies`` does not load JAX.
"""

from __future__ import annotations

from fmpc._lazy import lazy_exports

_EXPORTS = {
    "Policy": "fmpc.runtime.policy",
    "BasePolicy": "fmpc.policies.base",
    "Episode": "fmpc.runtime.policy",
    "SiteInfo": "fmpc.runtime.policy",
    "Feedback": "fmpc.runtime.policy",
    "PolicyError": "fmpc.policies.base",
    "UnknownPolicy": "fmpc.policies.base",
    "policy_from_spec": "fmpc.policies.base",
    "register_policy": "fmpc.policies.base",
    "StaticPolicy": "fmpc.policies.simple",
    "RandomPolicy": "fmpc.policies.simple",
    "PerQueryRouter": "fmpc.policies.baselines",
    "CascadePolicy": "fmpc.policies.baselines",
    "OraclePolicy": "fmpc.policies.oracle",
    "oracle_assignment": "fmpc.policies.oracle",
    "NeuralTSPolicy": "fmpc.policies.neural_ts",
    "AdaptiveTSPolicy": "fmpc.policies.neural_ts",
    "TSConfig": "fmpc.policies.neural_ts",
    "BudgetPolicy": "fmpc.policies.budget",
    "save_policy": "fmpc.policies.checkpoint",
    "restore_policy": "fmpc.policies.checkpoint",
}

__all__ = sorted(_EXPORTS)


__getattr__ = lazy_exports(__name__, _EXPORTS)
