"""Turning exceptions into upstream kind's error output and exit codes.

``ERROR: <message>`` on stderr and exit 1 for every error a user can cause; a
:class:`~pykind.errors.NodeCommandError` anywhere in the cause chain adds upstream's
``Command Output: ...``; ``-v 1`` or higher adds the traceback.
"""

from __future__ import annotations

import traceback
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from pykind.cli.console import Console

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_INTERRUPTED = 130

_RERUN_HINT = "this is a bug in pykind or one of its plugins; run again with -v 1 for the traceback"


class CommandError(Exception):
    """A failure the CLI reports with upstream's wrapping (``failed to create cluster: ...``).

    ``cause`` is the library error; it is also chained as ``__cause__``.
    """

    def __init__(self, message: str, cause: BaseException | None = None) -> None:
        self.message = message
        self.cause = cause
        super().__init__(message)

    def __str__(self) -> str:
        if self.cause is None:
            return self.message
        return f"{self.message}: {describe(self.cause)}"


def describe(error: BaseException) -> str:
    """The message of ``error`` followed by the messages of its causes that add something."""
    text = str(error) or type(error).__name__
    seen = {id(error)}
    cause = error.__cause__
    depth = 0
    while cause is not None and id(cause) not in seen and depth < 5:
        seen.add(id(cause))
        part = str(cause) or type(cause).__name__
        if part not in text:
            text = f"{text}: {part}"
        cause = cause.__cause__
        depth += 1
    return text


def _command_output(error: BaseException) -> str | None:
    from pykind.errors import NodeCommandError

    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, NodeCommandError):
            return current.output
        if isinstance(current, CommandError) and current.cause is not None:
            current = current.cause
        else:
            current = current.__cause__
    return None


def usage_message(error: click.UsageError) -> str:
    """Upstream (cobra) wording for the common usage errors; click's for the rest."""
    if isinstance(error, click.NoSuchOption):
        name = error.option_name
        if name.startswith("--"):
            return f"unknown flag: {name}"
        return f"unknown shorthand flag: {name.lstrip('-')[:1]!r} in {name}"
    if isinstance(error, click.BadOptionUsage) and "requires" in error.message:
        name = error.option_name
        if name.startswith("--"):
            return f"flag needs an argument: {name}"
        return f"flag needs an argument: {name.lstrip('-')[:1]!r} in {name}"
    if isinstance(error, click.exceptions.NoSuchCommand):
        path = error.ctx.command_path if error.ctx is not None else "kind"
        return f'unknown command "{error.command_name}" for "{path}"'
    return error.format_message()


def report(console: Console, error: BaseException, *, verbosity: int = 0) -> int:
    """Print ``error`` the way upstream does and return the exit code."""
    from pykind.errors import PykindError

    red = console.color("ERROR", "31")
    if isinstance(error, KeyboardInterrupt):
        console.line(f"{red}: interrupted")
        return EXIT_INTERRUPTED
    if isinstance(error, click.UsageError):
        console.line(f"{red}: {usage_message(error)}")
        return EXIT_ERROR
    if isinstance(error, click.ClickException):
        console.line(f"{red}: {error.format_message()}")
        return EXIT_ERROR
    if isinstance(error, NotImplementedError):  # a part of pykind that is not installed
        console.line(f"{red}: {describe(error)}")
    elif isinstance(error, (PykindError, CommandError)):
        text = describe(error) if isinstance(error, PykindError) else str(error)
        console.line(f"{red}: {text}")
        output = _command_output(error)
        if output is not None and "Command Output:" not in text:
            console.line("")
            console.line(f"{console.color('Command Output', '31')}: {output.rstrip()}")
    else:
        console.line(f"{red}: unexpected error: {type(error).__name__}: {error}")
        if verbosity < 1:
            console.line(_RERUN_HINT)
    if verbosity >= 1:
        console.line("")
        trace = "".join(traceback.format_exception(error)).rstrip()
        console.line(f"{console.color('Stack Trace', '31')}: {trace}")
    return EXIT_ERROR
