"""The background learner: trains a policy off the request path and saves checkpoints.

Feedback only stores what the policy needs (``observe``) and wakes the learner; the learner's
thread runs ``policy.update()`` whenever ``policy.update_due()``, and calls ``checkpoint`` every
``checkpoint_every`` feedbacks. Requests meanwhile decide with the last parameters the policy
published. An update or checkpoint that fails is counted and its message kept (``stats()``);
serving goes on with the parameters it had.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from fmpc.runtime.policy import BackgroundLearner, Policy


class Learner:
    """A worker thread training ``policy`` (when it is a ``BackgroundLearner``) and calling
    ``checkpoint()`` every ``checkpoint_every`` feedbacks (0: never). Start it with ``start``,
    stop it with ``stop`` (which waits for the update in progress)."""

    def __init__(
        self,
        policy: Policy,
        *,
        checkpoint: Callable[[], Any] | None = None,
        checkpoint_every: int = 0,
    ) -> None:
        if checkpoint_every < 0:
            raise ValueError(f"checkpoint_every must be >= 0, got {checkpoint_every}")
        self.policy = policy
        self.learns = isinstance(policy, BackgroundLearner)
        if self.learns:
            policy.defer_updates()  # type: ignore[attr-defined]
        self._checkpoint = checkpoint
        self._checkpoint_every = checkpoint_every
        self._cond = threading.Condition()
        self._feedbacks = 0
        self._since_checkpoint = 0
        self._stopping = False
        self._busy = False
        self._thread: threading.Thread | None = None
        self._updates = 0
        self._update_seconds = 0.0
        self._checkpoints = 0
        self._failures: list[str] = []
        self._failed_at = -1  # after a failed update, retry only once more feedback came

    def start(self) -> None:
        """Start the worker thread (once)."""
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="fmpc-learner", daemon=True)
                self._thread.start()

    def notify(self) -> None:
        """One feedback was observed: train or checkpoint if due."""
        with self._cond:
            self._feedbacks += 1
            self._since_checkpoint += 1
            self._cond.notify_all()

    def idle(self, timeout: float | None = None) -> bool:
        """Wait until nothing is due or running (``False`` on timeout): for tests and saves."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._busy or self._due():
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def stop(self) -> None:
        """Stop the thread after the work in progress."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join()

    def stats(self) -> dict[str, Any]:
        """``updates``, ``update_seconds`` (total), ``checkpoints``, ``failures`` (count) and
        ``last_failure``."""
        with self._cond:
            return {
                "updates": self._updates,
                "update_seconds": self._update_seconds,
                "checkpoints": self._checkpoints,
                "failures": len(self._failures),
                "last_failure": self._failures[-1] if self._failures else None,
            }

    def _due(self) -> bool:
        checkpoint = bool(self._checkpoint_every) and (
            self._since_checkpoint >= self._checkpoint_every
        )
        update = (
            self.learns and self._feedbacks != self._failed_at and self.policy.update_due()  # type: ignore[attr-defined]
        )
        return checkpoint or update

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and not self._due():
                    self._cond.wait()
                if self._stopping:
                    return
                self._busy = True
                checkpoint = bool(self._checkpoint_every) and (
                    self._since_checkpoint >= self._checkpoint_every
                )
                if checkpoint:
                    self._since_checkpoint = 0
            try:
                self._work(checkpoint)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _work(self, checkpoint: bool) -> None:
        if checkpoint and self._checkpoint is not None:  # first: it bounds what a crash loses
            try:
                self._checkpoint()
            except Exception as exc:  # the next checkpoint may work; the failure is visible
                self._failed(f"checkpoint failed: {type(exc).__name__}: {exc}")
            else:
                with self._cond:
                    self._checkpoints += 1
        if self.learns and self.policy.update_due():  # type: ignore[attr-defined]
            start = time.perf_counter()
            try:
                trained = self.policy.update()  # type: ignore[attr-defined]
            except Exception as exc:  # serving goes on with the published parameters
                self._failed(f"policy update failed: {type(exc).__name__}: {exc}")
                with self._cond:
                    self._failed_at = self._feedbacks
            else:
                with self._cond:
                    self._updates += int(bool(trained))
                    self._update_seconds += time.perf_counter() - start

    def _failed(self, message: str) -> None:
        with self._cond:
            self._failures.append(message)
            del self._failures[:-20]
