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

A step damaged after it was written (garbage or truncated files, an emptied directory, a record
that is not one) is skipped: ``restore_policy`` names it in a warning (``on_damaged``) and uses
the newest readable step; only when no step is readable does it raise ``CheckpointError``. A
checkpoint of another policy or program is refused, never skipped. Saving a step whose
directory is damaged replaces it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orbax.checkpoint as ocp

from fmpc.policies.base import PolicyError
from fmpc.runtime.policy import Policy

KEEP = 2
"""Complete checkpoints kept in a directory (older ones are deleted after a save)."""


class CheckpointError(PolicyError):
    """A checkpoint cannot be written or read, or does not fit the policy; the message says why."""


class CheckpointWarning(UserWarning):
    """A damaged checkpoint step was skipped (the default ``on_damaged`` of ``restore_policy``)."""


class _Damaged(Exception):  # noqa: N818 - internal signal
    """One step cannot be read; the message says why."""


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
    (created if needed). Saving a step that is already saved (and readable) does nothing."""
    if inputs_seen < 0:
        raise CheckpointError(f"inputs_seen must be >= 0, got {inputs_seen}")
    try:
        manager = _manager(directory, create=True)
    except OSError as exc:
        raise CheckpointError(f"{directory}: cannot write checkpoints ({exc})") from None
    try:
        if inputs_seen in manager.all_steps():
            try:
                _read_meta(manager, inputs_seen)
                return
            except _Damaged:
                manager.delete(inputs_seen)  # replaced by what is saved now
        args = ocp.args.Composite(
            state=ocp.args.StandardSave(policy.state()),
            meta=ocp.args.JsonSave(_meta(policy, inputs_seen)),
        )
        manager.save(inputs_seen, args=args)
        manager.wait_until_finished()
    finally:
        manager.close()


def restore_policy(
    policy: Policy,
    directory: str | Path,
    *,
    step: int | None = None,
    on_damaged: Callable[[str], None] | None = None,
) -> int:
    """Restore the newest readable checkpoint of ``directory`` (or the one of ``step``) into
    ``policy`` (bound to its program) and return its ``inputs_seen``. Each damaged step met on
    the way is reported to ``on_damaged`` (default: a ``CheckpointWarning``) and skipped; a
    ``step`` asked for is never replaced by another. ``CheckpointError`` when no step is
    readable, or when the one restored was saved by another kind of policy or for other call
    sites."""
    report = on_damaged or _warn
    try:
        manager = _manager(directory, create=False)
        steps = sorted(manager.all_steps(), reverse=True)
    except CheckpointError:
        raise
    except Exception as exc:  # Orbax reading a directory it cannot make sense of
        raise CheckpointError(
            f"{directory}: cannot read the checkpoint directory ({exc})"
        ) from None
    try:
        if step is not None:
            return _restore_asked(policy, manager, step, steps, directory)
        for found in steps:
            try:
                return _restore_step(policy, manager, found, directory)
            except _Damaged as exc:
                report(f"{directory}: checkpoint {found} is damaged and was skipped ({exc})")
    finally:
        manager.close()
    if steps:
        raise CheckpointError(f"{directory}: no readable checkpoint ({len(steps)} damaged)")
    raise CheckpointError(f"{directory}: holds no complete checkpoint")


def _restore_asked(
    policy: Policy,
    manager: ocp.CheckpointManager,
    step: int,
    steps: list[int],
    directory: str | Path,
) -> int:
    if step not in steps:
        raise CheckpointError(f"{directory}: holds no complete checkpoint {step}")
    try:
        return _restore_step(policy, manager, step, directory)
    except _Damaged as exc:
        raise CheckpointError(f"{directory}: checkpoint {step} is damaged ({exc})") from None


def _warn(message: str) -> None:
    warnings.warn(message, CheckpointWarning, stacklevel=3)


def _restore_step(
    policy: Policy, manager: ocp.CheckpointManager, step: int, directory: str | Path
) -> int:
    meta = _read_meta(manager, step)
    _check_fits(meta, _meta(policy, step), directory)
    args = ocp.args.Composite(state=ocp.args.StandardRestore(policy.state()))
    try:
        state = manager.restore(step, args=args)["state"]
    except Exception as exc:  # any failure to parse damaged files: this step is unusable
        raise _Damaged(f"its state cannot be read: {_reason(exc)}") from None
    policy.restore(state)
    return int(meta["inputs_seen"])


def _read_meta(manager: ocp.CheckpointManager, step: int) -> dict[str, Any]:
    """The JSON record of ``step``; ``_Damaged`` when it is missing or not a record."""
    try:
        meta = manager.restore(step, args=ocp.args.Composite(meta=ocp.args.JsonRestore()))["meta"]
    except Exception as exc:  # any failure to parse damaged files: this step is unusable
        raise _Damaged(f"its record cannot be read: {_reason(exc)}") from None
    seen = meta.get("inputs_seen") if isinstance(meta, dict) else None
    if not isinstance(seen, int) or isinstance(seen, bool) or seen < 0:
        raise _Damaged("its record is not a checkpoint record")
    return meta


def _reason(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    text = text if len(text) <= 160 else text[:157] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _check_fits(saved: dict[str, Any], expected: dict[str, Any], directory: str | Path) -> None:
    for key in ("policy", "sites"):
        if key in expected and saved.get(key) != expected[key]:
            raise CheckpointError(
                f"{directory}: the checkpoint was saved for {key} {saved.get(key)!r}, "
                f"not {expected[key]!r}"
            )
