"""The rich consoles the commands print tables and progress to (imported when a command
prints, never to build the parser)."""

from __future__ import annotations

from rich.console import Console

UNWRAPPED_WIDTH = 10_000
"""The width of a console that is not a terminal: wide enough that nothing is wrapped."""


class CommandConsole(Console):
    """A rich console whose closed pipe (``fmpc zoo list | head``) raises ``BrokenPipeError``
    for ``fmpc.cli.main`` to end the command quietly, as it does for plain ``print`` (rich
    itself would exit with status 1)."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError


def console(*, stderr: bool = False) -> Console:
    """A console on stdout (or stderr); when that is not a terminal (a pipe, a log file) it is
    :data:`UNWRAPPED_WIDTH` wide, so tables and long lines are not wrapped at 80 columns."""
    terminal = CommandConsole(stderr=stderr)
    return (
        terminal if terminal.is_terminal else CommandConsole(stderr=stderr, width=UNWRAPPED_WIDTH)
    )
