"""Decision overhead of the learned policies per input, for a 6-site program (a command, not a
test)::

    .venv/bin/python benchmarks/policy_overhead.py [--inputs 1024] [--window 32]

Drives ``defer``, ``neural-ts`` and ``adaptive-ts`` directly with 64x64 images and synthetic
traces (no backends), window by window as ``run_stream`` does, and reports the wall time per
input spent in the policy in steady state (the median over windows) (deciding, ``defer``'s re-check decision, and the training updates
amortised over the inputs), after a warm-up that compiles everything. Beside it, an estimate of the reference implementation's cost per input:
one randomly initialised ResNet-18 per site on the 256x256 image (about 2.4 GFLOPs forward) and a
full backward pass (about twice a forward) per backend per site, with its measured ~6 s per input
on a 2-core CPU (PAPER.md).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from fmpc.policies.deferral import DeferralConfig, DeferralPolicy
from fmpc.policies.neural_ts import AdaptiveTSPolicy, NeuralTSPolicy, TSConfig
from fmpc.runtime.policy import EXECUTION, Feedback, SiteInfo
from fmpc.runtime.trace import SiteCall, Trace
from fmpc.semantics.values import ImageValue

SITES = {
    s: SiteInfo(s, "find", ("s", "m", "l"), (1.0, 4.0, 16.0))
    if s % 2
    else SiteInfo(s, "verify_property", ("s", "l"), (1.0, 8.0))
    for s in range(6)
}
RESNET18_FORWARD_FLOPS = 1.82e9 * (256 / 224) ** 2
"""ResNet-18 at 224x224 is 1.82 GFLOPs (multiply-adds counted as 2); scaled to 256x256."""
REFERENCE_SECONDS = 6.0
"""The reference router's measured routing compute per input on a 2-core CPU (PAPER.md)."""


def reference_flops(sites: int = 6, backends: int = 2) -> float:
    """Per input: one forward per site and one full backward (2x a forward) per backend."""
    return sites * RESNET18_FORWARD_FLOPS * (1 + 2 * backends)


def drive(policy: Any, images: list[ImageValue], window: int) -> tuple[float, float]:
    """Seconds in the policy per input in steady state (the median over windows, so that a
    window which compiled for a new buffer size does not count), and its FLOPs per input."""
    per_window, flops = [], 0.0
    rng = np.random.default_rng(0)
    for start in range(0, len(images), window):
        batch = images[start : start + window]
        begin = time.perf_counter()
        spent = 0.0
        episodes = policy.start_window([i.id for i in batch], batch, SITES)
        spent += time.perf_counter() - begin
        for image, episode in zip(batch, episodes, strict=True):
            features: dict[str, float] = {EXECUTION: 0.0}
            calls = []
            for site in SITES:
                begin = time.perf_counter()
                choice = episode.decide(site, features)
                spent += time.perf_counter() - begin
                features[f"site{site}.confidence"] = float(rng.random())
                fn = SITES[site].fn
                confidence = float(rng.random())
                calls.append(SiteCall(site, fn, "b", 1.0, [], confidence, 0.0, choice=choice))
            begin = time.perf_counter()
            episode.recheck("no", Trace(image.id, tuple(calls)))
            spent += time.perf_counter() - begin
            flops += episode.compute_cost
            label = "yes" if rng.random() < 0.5 else "no"
            policy.observe(Trace(image.id, tuple(calls)), Feedback(label, "yes", 0.0))
        per_window.append(spent / len(batch))
    return float(np.median(per_window)), flops / len(images)


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=1024)
    parser.add_argument("--window", type=int, default=32)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    images = [
        ImageValue(rng.random((64, 64, 3), dtype=np.float32), f"in-{i}") for i in range(args.inputs)
    ]
    print("| policy | ms per input (decide + amortised updates) | policy MFLOPs per input |")
    print("|---|---|---|")
    policies = [
        DeferralPolicy(DeferralConfig(update_every=args.window, warm_start="none")),
        NeuralTSPolicy(TSConfig(update_every=args.window)),
        AdaptiveTSPolicy(TSConfig(update_every=args.window)),
    ]
    for policy in policies:
        policy.bind(SITES)
        drive(policy, images[: 4 * args.window], args.window)  # compile everything
        seconds, flops = drive(policy, images, args.window)
        print(f"| {policy.kind} | {1000 * seconds:.3f} | {flops / 1e6:.3f} |")
    reference = reference_flops()
    print(
        f"| reference (ResNet-18 per site, backward per backend) | ~{1000 * REFERENCE_SECONDS:.0f}"
        f" (measured) | ~{reference / 1e6:,.0f} (estimated) |"
    )


if __name__ == "__main__":
    main()
