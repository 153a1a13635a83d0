"""Checkpoints of a policy's learning state with Orbax (``fmpc run --checkpoint DIR [--resume]``).

A checkpoint directory holds one Orbax checkpoint per saved step, the step being the number of
inputs the stream had fed the policy (``inputs_seen``). Orbax writes each one into a temporary
directory and renames it when complete, so a process killed during a save leaves at most a
temporary directory behind: the last complete checkpoint stays the one restored. Each checkpoint
holds the policy's ``state()`` (a pytree of arrays) and a JSON record: the policy's kind and
sites (``checkpoint_meta()``, when it has one) and ``inputs_seen``::

    save_policy(policy, "ckpt/", inputs_seen=500)
    fresh = policy_from_spec("neural-ts"); Executor(module, table, fresh)   # binds it
    inputs_seen = restore_policy(fresh, "ckpt/")                            # 500
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orbax.checkpoint as ocp

from fmpc.policies.base import PolicyError
from fmpc.runtime.policy import Policy

KEEP = 2
"""Complete checkpoints kept in a directory (older ones are deleted after a save)."""


class CheckpointError(PolicyError):
    """A checkpoint cannot be written or read, or does not fit the policy; the message says why."""


def _manager(directory: str | Path, *, create: bool) -> ocp.CheckpointManager:
    path = Path(directory).absolute()
    if not create and not path.is_dir():
        raise CheckpointError(f"{directory}: no checkpoint directory to resume from")
    options = ocp.CheckpointManagerOptions(
        max_to_keep=KEEP, create=create, enable_async_checkpointing=False
    )
    return ocp.CheckpointManager(path, options=options)


def _meta(policy: Policy, inputs_seen: int) -> dict[str, Any]:
    meta_of = getattr(policy, "checkpoint_meta", None)
    meta = dict(meta_of()) if meta_of is not None else {"policy": policy.name}
    return {**meta, "inputs_seen": int(inputs_seen)}


def save_policy(policy: Policy, directory: str | Path, *, inputs_seen: int) -> None:
    """Save ``policy.state()`` as the checkpoint of step ``inputs_seen`` in ``directory``
    (created if needed). Saving a step that is already saved does nothing."""
    if inputs_seen < 0:
        raise CheckpointError(f"inputs_seen must be >= 0, got {inputs_seen}")
    try:
        manager = _manager(directory, create=True)
    except OSError as exc:
        raise CheckpointError(f"{directory}: cannot write checkpoints ({exc})") from None
    try:
        if inputs_seen in manager.all_steps():
            return
        args = ocp.args.Composite(
            state=ocp.args.StandardSave(policy.state()),
            meta=ocp.args.JsonSave(_meta(policy, inputs_seen)),
        )
        manager.save(inputs_seen, args=args)
        manager.wait_until_finished()
    finally:
        manager.close()


def restore_policy(policy: Policy, directory: str | Path, *, step: int | None = None) -> int:
    """Restore the latest complete checkpoint of ``directory`` (or the one of ``step``) into
    ``policy`` (bound to its program) and return its ``inputs_seen``. ``CheckpointError`` when
    there is none or when it was saved by another kind of policy or for other call sites."""
    manager = _manager(directory, create=False)
    try:
        if step is None:
            step = manager.latest_step()
        elif step not in manager.all_steps():
            raise CheckpointError(f"{directory}: holds no complete checkpoint {step}")
        if step is None:
            raise CheckpointError(f"{directory}: holds no complete checkpoint")
        meta = manager.restore(step, args=ocp.args.Composite(meta=ocp.args.JsonRestore()))["meta"]
        _check_fits(meta, _meta(policy, step), directory)
        args = ocp.args.Composite(state=ocp.args.StandardRestore(policy.state()))
        try:
            state = manager.restore(step, args=args)["state"]
        except (ValueError, KeyError, TypeError) as exc:
            raise CheckpointError(
                f"{directory}: checkpoint {step} cannot be read ({exc})"
            ) from None
    finally:
        manager.close()
    policy.restore(state)
    return int(meta.get("inputs_seen", step))


def _check_fits(saved: dict[str, Any], expected: dict[str, Any], directory: str | Path) -> None:
    for key in ("policy", "sites"):
        if key in expected and saved.get(key) != expected[key]:
            raise CheckpointError(
                f"{directory}: the checkpoint was saved for {key} {saved.get(key)!r}, "
                f"not {expected[key]!r}"
            )
