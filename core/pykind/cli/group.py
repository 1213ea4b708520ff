"""Click groups with upstream (cobra) behaviour, and the lazily loading root group."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Mapping
from typing import Any

import click


def adopt_plugin_command(command: click.Command) -> None:
    """Give a command a plugin added the global flags (-v, -q, ...) every command accepts,
    and apply them before it runs."""
    from pykind.cli.options import global_params
    from pykind.cli.state import get_state

    have = {opt for param in command.params for opt in getattr(param, "opts", ())}
    for param in global_params():
        if not have.intersection(getattr(param, "opts", ())):
            command.params.append(param)
    callback = command.callback
    if callback is not None:

        @functools.wraps(callback)
        def run(*args: Any, **kwargs: Any) -> Any:
            get_state().setup()
            return callback(*args, **kwargs)

        command.callback = run
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            adopt_plugin_command(sub)


class KindGroup(click.Group):
    """A command group that, like cobra, shows its help (exit 0) when called bare."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("no_args_is_help", False)
        kwargs.setdefault("invoke_without_command", True)
        super().__init__(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        result = super().invoke(ctx)
        if ctx.invoked_subcommand is None:
            click.echo(ctx.get_help())
            ctx.exit(0)
        return result


class LazyGroup(KindGroup):
    """The root group: built-in subcommands are imported only when used.

    ``lazy`` maps a name to ``("module:attribute", "short help")``; the short help lets
    ``kind --help`` list commands without importing them. Commands that plugins add through
    ``pykind_register_commands`` are loaded when a name is not a built-in.
    """

    def __init__(self, *args: Any, lazy: Mapping[str, tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy)
        self._plugins_loaded = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.lazy, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name in self.lazy:
            target = self.lazy[cmd_name][0]
            module_name, _, attribute = target.partition(":")
            command = getattr(importlib.import_module(module_name), attribute)
            if not isinstance(command, click.Command):  # pragma: no cover - programming error
                raise TypeError(f"{target} is not a click command")
            self.commands[cmd_name] = command
            return command
        if not ctx.resilient_parsing:
            self.load_plugin_commands(ctx)
        return self.commands.get(cmd_name)

    def load_plugin_commands(self, ctx: click.Context) -> None:
        """Let plugins add commands (``pykind_register_commands(cli=...)``), once."""
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        from pykind.cli.state import get_state

        before = set(self.commands)
        pm = get_state(ctx).plugin_manager()
        pm.hook.pykind_register_commands(cli=self)
        for name in set(self.commands) - before:
            adopt_plugin_command(self.commands[name])

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.commands.get(name)
            if command is not None:
                if command.hidden:
                    continue
                rows.append((name, command.get_short_help_str(80)))
            else:
                rows.append((name, self.lazy[name][1]))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
