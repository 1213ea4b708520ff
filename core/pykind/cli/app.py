"""The root ``kind`` command: lazy subcommands, global flags, error handling, exit codes."""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Sequence
from typing import Any

import click

from pykind.cli import errors
from pykind.cli.group import LazyGroup
from pykind.cli.options import CONTEXT_SETTINGS, global_options
from pykind.cli.state import AppState

#: Built-in subcommands: name -> ("module:attribute", short help shown by ``kind --help``).
BUILTIN_COMMANDS: dict[str, tuple[str, str]] = {
    "add": ("pykind.cli.lifecycle:add", "Adds one of [node]"),
    "addon": ("pykind.cli.commands.addon:addon", "Lists, shows, installs and removes add-ons"),
    "build": ("pykind.cli.commands.build:build", "Build one of [node-image]"),
    "completion": (
        "pykind.cli.commands.completion:completion",
        "Output shell completion code for the specified shell (bash, zsh or fish)",
    ),
    "create": ("pykind.cli.commands.create:create", "Creates one of [cluster]"),
    "delete": ("pykind.cli.commands.delete:delete", "Deletes one of [cluster]"),
    "doctor": ("pykind.cli.doctor:doctor", "Checks this machine can run kind clusters"),
    "export": ("pykind.cli.commands.export:export", "Exports one of [kubeconfig, logs]"),
    "get": ("pykind.cli.commands.get:get", "Gets one of [clusters, nodes, kubeconfig]"),
    "help": ("pykind.cli.commands.help:help_command", "Help about any command"),
    "load": ("pykind.cli.commands.load:load", "Loads images into nodes"),
    "plugins": ("pykind.cli.commands.plugins:plugins", "Lists installed plugins and their hooks"),
    "remove": ("pykind.cli.lifecycle:remove", "Removes one of [node]"),
    "start": ("pykind.cli.lifecycle:start", "Starts a stopped cluster's containers"),
    "stop": ("pykind.cli.lifecycle:stop", "Stops a cluster's containers"),
    "version": ("pykind.cli.commands.version:version", "Prints the kind CLI version"),
}

ROOT_HELP = (
    "kind creates and manages local Kubernetes clusters using Docker or Podman container 'nodes'"
)


def _show_version(ctx: click.Context, _: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from pykind.cli.commands.version import display_version

    click.echo(display_version())
    ctx.exit(0)


class Interrupted(Exception):
    """Ctrl-C or SIGTERM, carried past click (which would print a blank line for it)."""


class RootGroup(LazyGroup):
    """The root group; its :meth:`main` turns every failure into ``ERROR: ...`` + exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as exc:
            raise Interrupted() from exc

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        code = run(self, args, prog_name=prog_name, complete_var=complete_var, **extra)
        if standalone_mode:
            sys.exit(code)
        return code


def run(
    cli: click.Group,
    args: Sequence[str] | None = None,
    *,
    prog_name: str | None = None,
    complete_var: str | None = None,
    **extra: Any,
) -> int:
    """Run the CLI once and return its exit code (0 ok, 1 error, 130 interrupted)."""
    from pykind.interrupts import sigterm_as_interrupt

    state = extra.pop("obj", None)
    if not isinstance(state, AppState):
        state = AppState()
    try:
        with sigterm_as_interrupt():
            result = click.Group.main(
                cli,
                args,
                prog_name,
                complete_var,
                standalone_mode=False,
                obj=state,
                **extra,
            )
        return result if type(result) is int else errors.EXIT_OK
    except Interrupted:
        return _fail(state, KeyboardInterrupt())
    except click.exceptions.Abort as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):
            return _fail(state, KeyboardInterrupt())
        return _fail(state, click.ClickException("aborted"))
    except OSError as exc:
        if exc.errno == errno.EPIPE:  # the reader went away (`kind get clusters | head -1`)
            _silence_stdout()
            return errors.EXIT_ERROR
        return _fail(state, exc)
    except (Exception, KeyboardInterrupt) as exc:
        return _fail(state, exc)
    finally:
        state.close()


def _fail(state: AppState, error: BaseException) -> int:
    state.fail_current_step()
    return errors.report(state.get_console(), error, verbosity=state.verbosity)


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def build_cli() -> RootGroup:
    """A fresh root command (plugins may add commands to it, so each run gets its own)."""

    @click.group(
        cls=RootGroup,
        lazy=BUILTIN_COMMANDS,
        name="kind",
        help=ROOT_HELP,
        context_settings=CONTEXT_SETTINGS,
        epilog='Use "kind [command] --help" for more information about a command. '
        "Plugins may add commands; `kind plugins` lists them.",
    )
    @click.option(
        "--version",
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=_show_version,
        help="version for kind",
    )
    @global_options
    def cli() -> None:
        pass

    return cli
