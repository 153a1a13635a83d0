"""``fmpc run``: stream inputs through a program with a policy and report accuracy and cost.

::

    fmpc run PROGRAM (--world digits --n N [--seed S] | --inputs DIR_OR_JSONL) --policy POLICY
             [--backends CONFIG.yaml | --backends perfect] [-p PIPELINE] [--library FILE]
             [--window K] [--json] [--output ANSWERS.jsonl]

``PROGRAM`` is a Python program (``.py``, compiled with the default pipeline unless ``-p``, so
its site ids are those of ``fmpc compile`` and ``fmpc build``), a compiled one: IR text
(``.fmp``) or IR JSON (``.json``), or an artifact of ``fmpc build`` (its backends, and its policy
with its learned state unless ``--policy`` names another). With ``--world`` the inputs are
scenes of the embedded world, each labelled with the program's answer under perfect perception;
with ``--inputs`` they are the PNG/JPEG images of a directory or the lines of a JSONL file
(``{"image": PATH, "label": ...}``). Backends: the model zoo by default, a YAML config with
``--backends``, or perfect perception (cost 0, for checking a program) with ``--backends
perfect``. ``--library FILE`` declares functions beyond the default
library, for the program and for the config. With ``--world`` the program is compiled for that
world (warnings for literals outside its vocabulary). A progress bar goes to stderr; with
``--json`` the last line on stdout is one JSON object summarising the run (see
``RunSummary.to_json``); with ``--output`` every input's answer, cost and backends go to a JSONL
file, one line per input.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from fmpc.cli.errors import describe, user_errors
from fmpc.cli.program import IR_SUFFIXES, ProgramReader, add_library_argument

if TYPE_CHECKING:  # the heavy modules (JAX among them) load only when ``run`` runs
    from rich.console import Console
    from rich.progress import Progress

    from fmpc.frontend import Library
    from fmpc.ir.core import Module
    from fmpc.runtime.backends.table import BackendTable
    from fmpc.runtime.executor import Executor, StreamStep
    from fmpc.runtime.inputs import InputSource
    from fmpc.runtime.policy import Policy

MAX_SHOWN_ERRORS = 10
"""Per-input errors printed while streaming; the rest are only counted."""


class RunSetupError(Exception):
    """Something ``fmpc run`` was given cannot be used; reported without a traceback."""


def add_run_command(subparsers: Any) -> None:
    """Register ``run`` on an ``argparse`` subparsers object; the handler is ``args.handler``
    (``args.handler(args)`` returns the exit status)."""
    parser = subparsers.add_parser(
        "run",
        help="stream inputs through a program with a policy",
        description="Stream inputs through a program with a policy choosing a backend at every "
        "call site; report accuracy, F1 and cost.",
    )
    parser.add_argument(
        "program", help="a program (.py), a compiled one (.fmp, .json) or an artifact (.fmpa)"
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--world", metavar="WORLD", help="scenes of the embedded world: digits")
    source.add_argument(
        "--inputs", metavar="DIR_OR_JSONL", help="a directory of images or a JSONL file"
    )
    parser.add_argument("--n", type=int, help="number of world scenes (with --world)")
    parser.add_argument(
        "--seed", type=int, default=0, help="world stream and policy seed (default 0)"
    )
    parser.add_argument(
        "--policy",
        help="static:smallest, static:largest, static:<backend>, random, ... (an artifact's own "
        "by default)",
    )
    parser.add_argument("--backends", metavar="CONFIG.yaml", help="backend config, or 'perfect'")
    parser.add_argument(
        "-p",
        "--pipeline",
        default=None,
        help="passes for a .py program (default: the default pipeline; '' runs none)",
    )
    add_library_argument(parser)
    parser.add_argument(
        "--output", metavar="ANSWERS.jsonl", help="write one JSON line per input: id, answer, ..."
    )
    parser.add_argument("--window", type=int, help="inputs per window (default: the policy's)")
    add_limit_arguments(parser)
    parser.add_argument("--lam", type=float, help="cost weight of learned policies (default 0.05)")
    parser.add_argument(
        "--budget", type=float, metavar="C", help="target mean cost per input (--policy budget)"
    )
    parser.add_argument(
        "--checkpoint", metavar="DIR", help="save the policy's learning state in DIR (Orbax)"
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue from the latest checkpoint in DIR"
    )
    parser.add_argument("--json", action="store_true", help="print a JSON summary as the last line")
    parser.set_defaults(handler=run_command)


def run_command(
    args: argparse.Namespace, console: Console | None = None, err: Console | None = None
) -> int:
    """Run ``fmpc run`` with parsed ``args``: 0 when the stream ran, 1 on a setup error."""
    from fmpc.cli.console import console as cli_console

    console = console or cli_console()
    err = err or cli_console(stderr=True)
    try:
        executor, source = _set_up(args, err)
    except user_errors() as exc:
        _print_error(err, exc)
        return 1
    try:
        resumed = _resume(executor.policy, args, err)
        summary = _stream(executor, source, args, err, resumed)
    except user_errors() as exc:  # a checkpoint that cannot be used
        _print_error(err, exc)
        return 1
    finally:
        executor.table.close()
    _report(summary, args, console)
    return 0


def _resume(policy: Policy, args: argparse.Namespace, err: Console) -> int:
    """Check ``--checkpoint``/``--resume``; restore the policy and return the inputs it has
    seen (0 without ``--resume``). A damaged checkpoint step is named in a warning and the
    newest readable one is used."""
    import jax

    from fmpc.policies.checkpoint import restore_policy

    directory = getattr(args, "checkpoint", None)
    if directory is None:
        return 0
    if not jax.tree.leaves(policy.state()):
        raise RunSetupError(f"--checkpoint: policy {policy.name} has no learning state to save")
    if not args.resume:
        return 0

    def warn(message: str) -> None:
        err.print(f"warning: {message}", markup=False, highlight=False, style="yellow")

    return restore_policy(policy, directory, on_damaged=warn)


def _print_error(err: Console, exc: BaseException) -> None:
    err.print(describe("fmpc run", exc), markup=False, highlight=False, soft_wrap=True)


# ---------------------------------------------------------------- set-up


def _set_up(args: argparse.Namespace, err: Console) -> tuple[Executor, InputSource]:
    from fmpc.policies.base import policy_from_spec
    from fmpc.runtime.cache import ExecutionCache
    from fmpc.runtime.executor import Executor

    _check_arguments(args)
    if is_artifact(args.program):
        return _set_up_artifact(args)
    if args.policy is None:
        raise RunSetupError("--policy is needed (only an artifact brings its own)")
    reader = ProgramReader.from_args(
        args, warn=lambda d: err.print(d.format(), markup=False, highlight=False, soft_wrap=True)
    )
    module = load_program(args.program, reader, getattr(args, "pipeline", None))
    source = _inputs(module, args)
    table, costs = make_backends(args.backends, reader.library)
    try:
        policy = policy_from_spec(args.policy, **policy_options(args))
        cache = ExecutionCache()
        prepare = getattr(policy, "prepare", None)  # cascade calibrates, the oracle reads labels
        if prepare is not None:
            module = prepare(module, table, source, costs=costs, cache=cache)
        executor = Executor(
            module, table, policy, cache=cache, costs=costs, limits=run_limits(args)
        )
    except BaseException:
        table.close()
        raise
    return executor, source


LIMIT_DEFAULTS = {"max_calls": 1000, "time_limit": 120.0, "max_pixels": 25_000_000}
"""The defaults the help shows; the runtime's own (``fmpc.runtime.limits``,
``fmpc.runtime.image_files``) apply, and a test keeps the two equal (building the parser must
not import the runtime)."""


def add_limit_arguments(parser: argparse.ArgumentParser) -> None:
    """``--max-calls``, ``--time-limit`` and ``--max-pixels``: what one input may use."""
    shown = LIMIT_DEFAULTS
    parser.add_argument(
        "--max-calls",
        type=int,
        metavar="N",
        help=f"routable calls one input may make, 0 for no limit (default {shown['max_calls']})",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        metavar="SECONDS",
        help=f"seconds one input may run, 0 for no limit (default {shown['time_limit']:g})",
    )
    parser.add_argument(
        "--max-pixels",
        type=int,
        metavar="N",
        help="largest input image in pixels, checked before decoding "
        f"(default {shown['max_pixels']})",
    )


def run_limits(args: argparse.Namespace) -> Any:
    """The ``RunLimits`` of ``--max-calls`` and ``--time-limit`` (0 switches one off; absent,
    the runtime's defaults)."""
    from fmpc.runtime.limits import DEFAULT_MAX_CALLS, DEFAULT_TIME_LIMIT_S, LimitError, RunLimits

    calls = DEFAULT_MAX_CALLS if args.max_calls is None else args.max_calls
    seconds = DEFAULT_TIME_LIMIT_S if args.time_limit is None else args.time_limit
    try:
        return RunLimits(calls if calls != 0 else None, seconds if seconds != 0 else None)
    except LimitError as exc:
        flag = "--max-calls" if "max_calls" in str(exc) else "--time-limit"
        raise RunSetupError(f"{flag}: {exc}") from None


def max_pixels(args: argparse.Namespace) -> int:
    """``--max-pixels``, or the runtime's default."""
    from fmpc.runtime.image_files import MAX_IMAGE_PIXELS

    return MAX_IMAGE_PIXELS if args.max_pixels is None else int(args.max_pixels)


def _inputs(module: Module, args: argparse.Namespace) -> InputSource:
    from fmpc.runtime.inputs import open_inputs, world_inputs

    if args.world is not None:
        return world_inputs(module, args.n, world=args.world, seed=args.seed)
    return open_inputs(args.inputs, module=module, max_pixels=max_pixels(args))


def is_artifact(path: str) -> bool:
    """Whether ``path`` is an artifact of ``fmpc build`` (a directory with a manifest)."""
    from fmpc.deploy.artifact import MANIFEST

    return Path(path).is_dir() and (Path(path) / MANIFEST).is_file()


def _set_up_artifact(args: argparse.Namespace) -> tuple[Executor, InputSource]:
    """The executor of an artifact: its program, backends and costs, and its policy with its
    learned state (or the ``--policy`` given, fresh)."""
    from fmpc.deploy.artifact import open_artifact
    from fmpc.deploy.loading import load_parts
    from fmpc.policies.base import policy_from_spec
    from fmpc.runtime.cache import ExecutionCache
    from fmpc.runtime.executor import Executor

    given = [
        flag
        for flag, value in (
            ("--backends", args.backends),
            ("-p", getattr(args, "pipeline", None)),
            ("--library", getattr(args, "library", None)),
        )
        if value is not None
    ]
    if given:
        raise RunSetupError(
            f"{args.program}: an artifact brings its backends, pipeline and library "
            f"(drop {', '.join(given)})"
        )
    parts = load_parts(open_artifact(args.program))
    try:
        policy = parts.policy
        if args.policy is not None:
            policy = policy_from_spec(args.policy, **policy_options(args))
        source = _inputs(parts.module, args)
        executor = Executor(
            parts.module,
            parts.table,
            policy,
            cache=ExecutionCache(),
            costs=parts.costs,
            limits=run_limits(args),
        )
    except BaseException:
        parts.table.close()
        raise
    return executor, source


def policy_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options every policy factory receives (``seed``); policies that take more (``lam``,
    ``budget``...) add their flags to the parser and their values here."""
    return {
        "seed": args.seed,
        "lam": getattr(args, "lam", None),
        "budget": getattr(args, "budget", None),
    }


def _check_arguments(args: argparse.Namespace) -> None:
    if args.world is not None and args.n is None:
        raise RunSetupError("--world needs --n N, the number of scenes to stream")
    if args.inputs is not None and args.n is not None:
        raise RunSetupError("--n goes with --world; --inputs streams every input it names")
    if args.window is not None and args.window < 1:
        raise RunSetupError(f"--window must be >= 1, got {args.window}")
    if args.max_pixels is not None and args.max_pixels < 1:
        raise RunSetupError(f"--max-pixels must be >= 1, got {args.max_pixels}")
    if getattr(args, "resume", False) and getattr(args, "checkpoint", None) is None:
        raise RunSetupError("--resume needs --checkpoint DIR, the checkpoint to continue from")


def load_program(
    path: str, reader: ProgramReader | None = None, pipeline: str | None = None
) -> Module:
    """The verified module of ``path``, read by ``reader`` (default: the default library, no
    world): a Python program, compiled with ``pipeline`` (default: the default pipeline, so its
    site ids are those of ``fmpc compile`` and ``fmpc build``), or IR text (``.fmp``) or IR JSON
    (``.json``) as compiled (``pipeline`` runs on them when given)."""
    if not Path(path).is_file():
        raise RunSetupError(
            f"{path}: no such file" if not Path(path).exists() else f"{path}: not a file"
        )
    if reader is None:
        from fmpc.library import DEFAULT_LIBRARY

        reader = ProgramReader(DEFAULT_LIBRARY)
    module = reader.any(path)
    compiled = Path(path).suffix in IR_SUFFIXES
    if compiled and pipeline is None:
        return module
    from fmpc.passes import DEFAULT_PIPELINE, PassManager

    return PassManager(DEFAULT_PIPELINE if pipeline is None else pipeline).run(module)


def make_backends(
    spec: str | None, library: Library | None = None
) -> tuple[BackendTable, Mapping[tuple[str, str], float]]:
    """The backends for ``--backends``: a config file (any registered backend type; its
    functions those of ``library``, default the default library), ``perfect`` (the embedded
    world's perfect perception, cost 0), or (``None``) the model zoo; with the nominal costs
    known beyond the backends themselves."""
    from fmpc.worlds.plugin import PERFECT, perfect_table

    if spec == PERFECT:
        return perfect_table(), {}
    if spec is None:
        return _zoo_table()
    from fmpc.library import DEFAULT_LIBRARY
    from fmpc.runtime.backends.build import load_backends

    if not Path(spec).is_file():
        raise RunSetupError(f"{spec}: no such backend config (or pass --backends perfect)")
    return load_backends(spec, library=library or DEFAULT_LIBRARY), {}


def _zoo_table() -> tuple[BackendTable, Mapping[tuple[str, str], float]]:
    from fmpc.zoo.plugin import ZooUnavailable, zoo_table

    try:
        return zoo_table()
    except ZooUnavailable as exc:
        raise RunSetupError(
            f"{exc}, or pass --backends CONFIG.yaml or --backends perfect"
        ) from None


# ---------------------------------------------------------------- streaming


class RunSummary:
    """Accumulates a stream's outcomes; ``to_json`` gives the ``--json`` summary."""

    def __init__(self, program: str, policy: Policy, binary_program: bool) -> None:
        self.program = program
        self.policy = policy.name
        self.binary_program = binary_program
        self.seen = self.executed = self.labelled = self.correct = 0
        self.tp = self.fp = self.fn = 0
        self.yes_no_labels = True
        self.total_cost = self.decision_time_s = 0.0
        self.errors: list[tuple[str, str]] = []
        self.chosen: dict[int, Counter[str]] = {}
        self.calls: Counter[int] = Counter()
        self.backend_calls: Counter[str] = Counter()
        self.failures: Counter[str] = Counter()
        self.fallbacks: Counter[str] = Counter()
        self.wall_s = 0.0
        self.policy_report: dict[str, Any] = {"policy_updates": 0}

    def add(self, step: StreamStep) -> None:
        """Count one input."""
        self.seen += 1
        result = step.result
        if result is None:
            self.errors.append((step.item.input_id, step.item.error or "could not be read"))
            return
        self.executed += 1
        self.total_cost += result.cost
        self.decision_time_s += result.trace.decision_time_s
        if result.error is not None:
            self.errors.append((result.input_id, result.error))
        for call in result.trace.calls:
            self.calls[call.site] += 1
            if call.via == "policy":
                self.chosen.setdefault(call.site, Counter())[call.backend] += 1
            self.backend_calls[f"{call.fn}/{call.backend}"] += 1
            if call.error is not None:
                self.failures[f"{call.fn}/{call.backend}"] += 1
            if call.via == "fallback":
                self.fallbacks[f"{call.fn}/{call.fell_back_from}->{call.backend}"] += 1
        if step.feedback is not None:
            self._score(result.answer, step.feedback.label, step.feedback.correct)

    def failing_backends(self) -> list[str]:
        """One line per backend that failed on every call it got while a fallback quietly
        served them (without a fallback, each failed input is reported already)."""
        lines = []
        for name, failed in sorted(self.failures.items()):
            served = {k: n for k, n in self.fallbacks.items() if k.startswith(f"{name}->")}
            if failed < self.backend_calls[name] or not served:
                continue
            fn, backend = name.split("/", 1)
            instead = ", ".join(f"{k.split('->', 1)[1]} ({n})" for k, n in served.items())
            lines.append(
                f"backend {backend!r} ({fn}) failed on all {failed} of its calls; "
                f"its fallback served {instead}"
            )
        return lines

    def _score(self, answer: Any, label: Any, correct: bool) -> None:
        self.labelled += 1
        self.correct += correct
        self.yes_no_labels = self.yes_no_labels and _polarity(label) is not None
        predicted, actual = _polarity(answer), _polarity(label)
        if actual is None:
            return
        if predicted and actual:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif actual:
            self.fn += 1

    @property
    def binary(self) -> bool:
        """Whether F1 applies: a Bool program, or every label is yes/no."""
        return self.labelled > 0 and (self.binary_program or self.yes_no_labels)

    def to_json(self) -> dict[str, Any]:
        """The summary: accuracy, f1, mean_cost, inputs_seen, decision_overhead_ms, errors,
        backend_counts (per site, how often the policy chose each backend), backend_failures
        (per ``function/backend``), fallbacks (per ``function/failed->fallback``) and more."""
        denominator = 2 * self.tp + self.fp + self.fn
        return {
            "program": self.program,
            "policy": self.policy,
            "inputs_seen": self.seen,
            "labelled": self.labelled,
            "accuracy": _ratio(self.correct, self.labelled),
            "f1": _ratio(2 * self.tp, denominator) if self.binary else None,
            "mean_cost": _ratio(self.total_cost, self.executed),
            "decision_overhead_ms": _ratio(1000 * self.decision_time_s, self.executed),
            "errors": len(self.errors),
            "error_examples": [{"input": i, "error": e} for i, e in self.errors[:5]],
            "backend_counts": {
                str(site): dict(sorted(counts.items()))
                for site, counts in sorted(self.chosen.items())
            },
            "calls_per_site": {str(site): n for site, n in sorted(self.calls.items())},
            "backend_failures": dict(sorted(self.failures.items())),
            "fallbacks": dict(sorted(self.fallbacks.items())),
            "wall_s": round(self.wall_s, 3),
            **self.policy_report,
        }


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def _polarity(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("yes", "no"):
        return value.strip().lower() == "yes"
    return None


def _stream(
    executor: Executor,
    source: InputSource,
    args: argparse.Namespace,
    err: Console,
    resumed: int = 0,
) -> RunSummary:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from fmpc.ir.types import Bool
    from fmpc.policies.checkpoint import save_policy
    from fmpc.runtime.executor import run_stream

    result_type = executor.module.entry.attributes.get("result_type")
    summary = RunSummary(args.program, executor.policy, result_type == Bool)
    summary.seen = resumed  # inputs_seen counts across resumed runs
    directory = getattr(args, "checkpoint", None)
    window = max(1, args.window or int(getattr(executor.policy, "window", 1) or 1))
    start = time.perf_counter()
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[status]}"),
    )
    with _answers_file(args) as answers, Progress(*columns, console=err) as progress:
        task = progress.add_task(
            f"{Path(args.program).name} · {executor.policy.name}",
            total=len(source),
            completed=resumed,
            status="",
        )
        items = itertools.islice(source, resumed, None)
        for step in run_stream(executor, items, window=args.window, start=resumed):
            summary.add(step)
            if answers is not None:
                answers.write(json.dumps(answer_line(step), default=_json_default) + "\n")
            if directory is not None and summary.seen % window == 0:
                save_policy(executor.policy, directory, inputs_seen=summary.seen)
            _show_error(step, summary, progress)
            progress.update(task, advance=1, status=_status(summary))
    summary.wall_s = time.perf_counter() - start
    for line in summary.failing_backends():
        err.print(f"warning: {line}", markup=False, highlight=False, style="yellow")
    if directory is not None:
        save_policy(executor.policy, directory, inputs_seen=summary.seen)
    report = getattr(executor.policy, "report", None)
    summary.policy_report.update(report() if report is not None else {})
    return summary


@contextlib.contextmanager
def _answers_file(args: argparse.Namespace) -> Iterator[TextIO | None]:
    """The ``--output`` file, open for writing (``None`` without ``--output``)."""
    path = getattr(args, "output", None)
    if path is None:
        yield None
        return
    with contextlib.ExitStack() as stack:
        try:
            stream = stack.enter_context(Path(path).open("w", encoding="utf-8"))
        except OSError as exc:
            raise RunSetupError(f"--output {path}: cannot write ({exc.strerror or exc})") from None
        yield stream


def answer_line(step: StreamStep) -> dict[str, Any]:
    """One ``--output`` line: the input's id, answer, cost, backends called per site (in
    order), error, and with a label the label and whether the answer was correct."""
    from fmpc.deploy.program import jsonable

    result = step.result
    line: dict[str, Any] = {"id": step.item.input_id}
    if result is None:
        return {**line, "answer": None, "cost": 0.0, "backends": {}, "error": step.item.error}
    backends: dict[str, list[str]] = {}
    for call in result.trace.calls:
        backends.setdefault(str(call.site), []).append(call.backend)
    line.update(
        answer=jsonable(result.answer), cost=result.cost, backends=backends, error=result.error
    )
    if step.feedback is not None:
        line.update(label=jsonable(step.feedback.label), correct=step.feedback.correct)
    return line


def _show_error(step: StreamStep, summary: RunSummary, progress: Progress) -> None:
    error = step.item.error if step.result is None else step.result.error
    if error is None or len(summary.errors) > MAX_SHOWN_ERRORS:
        return
    if len(summary.errors) == MAX_SHOWN_ERRORS:
        error += "\n(further errors are counted, not shown)"
    where = step.item.input_id
    text = error if error.startswith(f"{where}:") else f"input {where}: {error}"
    progress.console.print(text, markup=False, highlight=False, style="yellow")


def _status(summary: RunSummary) -> str:
    accuracy = _ratio(summary.correct, summary.labelled)
    cost = _ratio(summary.total_cost, summary.executed)
    parts = [
        f"acc {accuracy:.3f}" if accuracy is not None else "",
        f"cost {cost:.3g}" if cost is not None else "",
    ]
    if summary.errors:
        parts.append(f"{len(summary.errors)} errors")
    return "  ".join(p for p in parts if p)


def _report(summary: RunSummary, args: argparse.Namespace, console: Console) -> None:
    from rich.table import Table

    data = summary.to_json()
    if args.json:
        console.print(
            json.dumps(data, default=_json_default), markup=False, highlight=False, soft_wrap=True
        )
        return
    table = Table(title=f"{data['program']} with {data['policy']}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key in (
        "inputs_seen",
        "labelled",
        "accuracy",
        "f1",
        "mean_cost",
        "decision_overhead_ms",
        "errors",
        "wall_s",
    ):
        table.add_row(key, _show(data[key]))
    console.print(table)
    counts = Table(title="backends chosen per site")
    counts.add_column("site", justify="right")
    counts.add_column("backend counts")
    for site, chosen in data["backend_counts"].items():
        counts.add_row(site, ", ".join(f"{name}: {n}" for name, n in chosen.items()))
    console.print(counts)
    for key, title in (("backend_failures", "failed backend calls"), ("fallbacks", "fallbacks")):
        if data[key]:
            console.print(
                f"{title}: " + ", ".join(f"{name}: {n}" for name, n in data[key].items()),
                markup=False,
                highlight=False,
                soft_wrap=True,
            )


def _show(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _json_default(value: Any) -> Any:
    return str(value)
