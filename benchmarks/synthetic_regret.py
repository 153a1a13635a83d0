"""Regret of the learned deferral policy against the Bayes-optimal one, in the synthetic world.

    python benchmarks/synthetic_regret.py [--n 10000] [--lam 0.05] [--seed 1] [--plot out.png]

Streams ``n`` inputs of ``fmpc.worlds.synthetic.SyntheticWorld`` through the program with the
``defer`` policy (cold: no warm start), then prints the regret per 1000 inputs: how much
expected objective (weighted errors + lam x cost / reference cost) the policy's re-check
decisions lost against the Bayes-optimal decision given the same first run, beside the regret of
never and of always re-checking on the same inputs.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from fmpc.frontend import compile_source
from fmpc.policies.deferral import DeferralConfig, DeferralPolicy
from fmpc.runtime.executor import Executor, run_stream
from fmpc.worlds.synthetic import SyntheticWorld, observed_calls, regret


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--lam", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--block", type=int, default=1000)
    parser.add_argument("--plot", default=None, help="write the regret curve to this PNG")
    args = parser.parse_args()
    world = SyntheticWorld(seed=args.seed)
    module = compile_source(world.program, "synthetic.py")
    policy = DeferralPolicy(
        DeferralConfig(lam=args.lam, plan="all", warm_start="none", seed=args.seed)
    )
    executor = Executor(module, world.backends(), policy)
    start = time.perf_counter()
    regrets, errors, costs, never, always = [], [], [], [], []
    for i, step in enumerate(run_stream(executor, world.items(args.n))):
        assert step.result is not None and step.feedback is not None
        trace = step.result.trace
        regrets.append(regret(world, world.facts(i), trace, args.lam))
        keep, recheck = world.decision_values(
            world.facts(i).difficulty, observed_calls(trace), args.lam
        )
        never.append(keep - min(keep, recheck))
        always.append(recheck - min(keep, recheck))
        errors.append(not step.feedback.correct)
        costs.append(step.result.trace.backend_cost)
    blocks = [
        {
            "inputs": f"{k}-{k + args.block - 1}",
            "regret": round(float(np.sum(regrets[k : k + args.block])), 3),
            "never_recheck": round(float(np.sum(never[k : k + args.block])), 3),
            "always_recheck": round(float(np.sum(always[k : k + args.block])), 3),
            "error_rate": round(float(np.mean(errors[k : k + args.block])), 4),
            "mean_cost": round(float(np.mean(costs[k : k + args.block])), 3),
        }
        for k in range(0, args.n, args.block)
    ]
    for row in blocks:
        print(json.dumps(row))
    first, last = blocks[0]["regret"], blocks[-1]["regret"]
    ratio = first / last if last > 0 else float("inf")
    print(
        json.dumps(
            {
                "first_over_last": round(ratio, 2),
                "wall_s": round(time.perf_counter() - start, 1),
                **policy.report(),
            }
        )
    )
    if args.plot:
        _plot(blocks, args)


def _plot(blocks: list[dict], args: argparse.Namespace) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 3.5))
    axis.plot(
        [args.block * (k + 1) for k in range(len(blocks))], [b["regret"] for b in blocks], "o-"
    )
    axis.set_xlabel("inputs seen")
    axis.set_ylabel(f"regret per {args.block} inputs")
    axis.set_title(f"defer (lam={args.lam:g}) vs the Bayes-optimal re-check")
    axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(args.plot, dpi=120)


if __name__ == "__main__":
    main()
