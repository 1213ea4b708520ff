"""``kind help [COMMAND...]`` (cobra's help command)."""

from __future__ import annotations

import click

from pykind.cli.options import CONTEXT_SETTINGS


@click.command("help", context_settings=CONTEXT_SETTINGS)
@click.argument("command", nargs=-1)
@click.pass_context
def help_command(ctx: click.Context, command: tuple[str, ...]) -> None:
    """Help about any command

    Help provides help for any command in the application.
    Simply type kind help [path to command] for full details.
    """
    root_ctx = ctx.find_root()
    current: click.Command = root_ctx.command
    current_ctx = root_ctx
    for name in command:
        if not isinstance(current, click.Group):
            break
        sub = current.get_command(current_ctx, name)
        if sub is None:
            raise click.exceptions.NoSuchCommand(name, ctx=current_ctx)
        current_ctx = click.Context(sub, info_name=name, parent=current_ctx)
        current = sub
    click.echo(current_ctx.get_help())
