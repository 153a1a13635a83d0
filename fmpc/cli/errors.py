"""How every ``fmpc`` command reports a mistake: one style, never a traceback.

A problem with a place in a file is a diagnostic, ``FILE:LINE:COL: error: MESSAGE`` (a compiler's
style: editors jump to it), one per problem; any other is ``fmpc COMMAND: error: MESSAGE`` (the
style of argparse's own usage errors). Both go to stderr, and the command exits with status 1.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator

USER_ERRORS = (
    ("fmpc.cli.common", "UsageError"),
    ("fmpc.cli.program", "ModuleErrors"),
    ("fmpc.cli.run", "RunSetupError"),
    ("fmpc.frontend.diagnostics", "CompileError"),
    ("fmpc.frontend.library_file", "LibraryFileError"),
    ("fmpc.ir.parser", "ParseError"),
    ("fmpc.ir.core", "VerifyError"),
    ("fmpc.passes.base", "PassError"),
    ("fmpc.passes.analyses.profile", "ProfileError"),
    ("fmpc.runtime.config", "ConfigError"),
    ("fmpc.runtime.inputs", "InputError"),
    ("fmpc.runtime.registry", "PluginError"),
    ("fmpc.runtime.executor", "RoutingError"),
    ("fmpc.policies.base", "PolicyError"),
    ("fmpc.bench.harness", "BenchError"),
    ("fmpc.deploy.artifact", "ArtifactError"),
)
"""The exceptions that mean a mistake in what the user gave, as (module, class)."""

_LOCATED = re.compile(r"^(?P<where>[^\s:][^:]*:\d+:\d+): (?P<severity>(error|warning|note): )?")


def user_errors() -> tuple[type[BaseException], ...]:
    """The user-mistake exception classes that can have been raised: those of modules already
    imported (a class whose module was never loaded cannot have been raised), so that catching
    them loads nothing."""
    found = []
    for module, name in USER_ERRORS:
        cls = getattr(sys.modules.get(module), name, None)
        if isinstance(cls, type) and issubclass(cls, BaseException):
            found.append(cls)
    return tuple(found)


def describe(prog: str, exc: BaseException) -> str:
    """The message of ``exc`` in the common style, for the command ``prog`` (``fmpc run``)."""
    return "\n".join(_styled(prog, block) for block in _blocks(exc))


def _blocks(exc: BaseException) -> Iterator[str]:
    """One text per problem: a diagnostic (with its quoted source lines) or a message."""
    diagnostics = getattr(exc, "diagnostics", None)  # CompileError
    issues, source = getattr(exc, "issues", None), getattr(exc, "source", None)
    nested = getattr(exc, "errors", None)  # ModuleErrors
    if diagnostics is not None:
        yield from (d.format() for d in diagnostics)
    elif issues is not None and isinstance(source, str):  # ConfigError, LibraryFileError
        yield from (issue.format(source) for issue in issues)
    elif isinstance(nested, tuple):
        yield from (str(e) for e in nested)
    else:
        yield str(exc) or type(exc).__name__


def _styled(prog: str, block: str) -> str:
    first, _, rest = block.partition("\n")
    match = _LOCATED.match(first)
    if match is None:
        first = f"{prog}: error: {first}"
    elif match.group("severity") is None:
        first = f"{match.group('where')}: error: {first[match.end() :]}"
    return f"{first}\n{rest}" if rest else first
