"""The pass manager: runs a pipeline of passes over a module.

::

    pm = PassManager("canonicalize,cse,dce", print_after_all=True)
    optimized = pm.run(module)

It verifies the input and, by default, the output of every pass; can print the IR after each pass;
can repeat the whole pipeline until nothing changes (``fixed_point``, bounded by
``max_iterations``); and reports a failing pass by name with the passes that ran before it.
Analyses are computed on demand and carried from pass to pass as long as passes preserve them.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from fmpc.ir.core import Module, VerifyError
from fmpc.ir.printer import print_module
from fmpc.ir.verifier import verify
from fmpc.passes.analyses.manager import AnalysisInputs, AnalysisManager
from fmpc.passes.base import DEFAULT_REGISTRY, Pass, PassError, PassRegistry, PassResult
from fmpc.passes.pipeline import format_pipeline, parse_pipeline


class PassFailure(PassError):
    """A pass raised, returned an invalid module, or changed its input. ``pass_name`` is the
    failing pass, ``before`` the passes that ran before it (in order), ``cause`` the error."""

    def __init__(self, pass_name: str, before: Sequence[str], cause: BaseException | str) -> None:
        self.pass_name = pass_name
        self.before = list(before)
        self.cause = cause
        ran = ", ".join(self.before) if self.before else "none"
        super().__init__(f"pass '{pass_name}' failed (passes run before it: {ran}): {cause}")


@dataclass(frozen=True)
class PipelineReport:
    """What a pipeline run did: the final ``module``, whether anything ``changed``, the passes
    run in order with whether each changed the module, the number of ``iterations`` of the
    whole pipeline, and whether a fixed point was reached (always true without ``fixed_point``)."""

    module: Module
    changed: bool
    log: tuple[tuple[str, bool], ...]
    iterations: int
    converged: bool


class PassManager:
    """Runs ``pipeline`` (text or a list of passes) over modules; see the module docstring.

    ``verify_each`` verifies every pass's output (the input is always verified);
    ``check_inputs_unchanged`` also checks that no pass mutated the module it was given (slower;
    on in tests). ``inputs`` are what analyses read (profile data, backend costs). IR dumps of
    ``print_after_all`` go to ``stream`` (default: stderr).
    """

    def __init__(
        self,
        pipeline: str | Sequence[Pass],
        *,
        registry: PassRegistry = DEFAULT_REGISTRY,
        verify_each: bool = True,
        print_after_all: bool = False,
        stream: TextIO | None = None,
        fixed_point: bool = False,
        max_iterations: int = 8,
        inputs: AnalysisInputs | None = None,
        check_inputs_unchanged: bool = False,
    ) -> None:
        if isinstance(pipeline, str):
            self.passes: tuple[Pass, ...] = tuple(parse_pipeline(pipeline, registry))
        else:
            self.passes = tuple(pipeline)
        if max_iterations < 1:
            raise ValueError("max_iterations must be >= 1")
        self.verify_each = verify_each
        self.print_after_all = print_after_all
        self.stream = stream
        self.fixed_point = fixed_point
        self.max_iterations = max_iterations
        self.inputs = inputs or AnalysisInputs()
        self.check_inputs_unchanged = check_inputs_unchanged

    @property
    def pipeline(self) -> str:
        """The pipeline as text."""
        return format_pipeline(self.passes)

    def run(self, module: Module) -> Module:
        """The optimized module (``module`` itself is not changed)."""
        return self.run_with_report(module).module

    def run_with_report(self, module: Module) -> PipelineReport:
        """Run the pipeline and report what each pass did."""
        try:
            verify(module)
        except VerifyError as exc:
            raise PassError(f"the input module does not verify: {exc}") from None
        analyses = AnalysisManager(module, self.inputs)
        log: list[tuple[str, bool]] = []
        iterations = 0
        converged = False
        while iterations < self.max_iterations:
            iterations += 1
            analyses, changed = self._run_once(analyses, log)
            if not self.fixed_point or not changed:
                converged = True
                break
        changed_any = any(flag for _, flag in log)
        return PipelineReport(analyses.module, changed_any, tuple(log), iterations, converged)

    def _run_once(
        self, analyses: AnalysisManager, log: list[tuple[str, bool]]
    ) -> tuple[AnalysisManager, bool]:
        changed_any = False
        for p in self.passes:
            result = self._run_pass(p, analyses, [name for name, _ in log])
            log.append((p.name, result.changed))
            changed_any |= result.changed
            analyses = analyses.advance(result.module, result.preserved, result.site_renumbering)
            if self.print_after_all:
                self._dump(p, result)
        return analyses, changed_any

    def _run_pass(self, p: Pass, analyses: AnalysisManager, before: list[str]) -> PassResult:
        module = analyses.module
        snapshot = print_module(module, names=False) if self.check_inputs_unchanged else None
        try:
            result = p.run(module, analyses)
        except PassError as exc:
            raise PassFailure(str(p), before, exc) from exc
        except Exception as exc:
            raise PassFailure(str(p), before, f"{type(exc).__name__}: {exc}") from exc
        if not isinstance(result, PassResult):
            got = type(result).__name__
            raise PassFailure(str(p), before, f"run() returned {got}, not a PassResult")
        if snapshot is not None and print_module(module, names=False) != snapshot:
            raise PassFailure(str(p), before, "it changed its input module (passes must clone)")
        if not result.changed and result.module is not module:
            result = PassResult.unchanged(module)
        if self.verify_each and result.changed:
            try:
                verify(result.module)
            except VerifyError as exc:
                raise PassFailure(str(p), before, f"it produced an invalid module: {exc}") from exc
        return result

    def _dump(self, p: Pass, result: PassResult) -> None:
        stream = self.stream or sys.stderr
        status = "changed" if result.changed else "unchanged"
        stream.write(f"// ----- IR after {p} ({status}) -----\n")
        stream.write(print_module(result.module))
