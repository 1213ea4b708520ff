"""``kind completion bash|zsh|fish|powershell``: click's completion scripts."""

from __future__ import annotations

import click

from pykind.cli.group import KindGroup
from pykind.cli.options import CONTEXT_SETTINGS, global_options

LONG_HELP = """Output shell completion code for the specified shell (bash, zsh or fish)

\b
Outputs kind shell completion for the given shell.
# for bash users (bash >= 4.4)
    $ kind completion bash > ~/.kind-completion
    $ source ~/.kind-completion
\b
# for zsh users
    % kind completion zsh > "${fpath[1]}/_kind"
    % autoload -U compinit && compinit
\b
# for fish users
    % kind completion fish > ~/.config/fish/completions/kind.fish
\b
# for PowerShell users (needs click >= 8.5)
    PS> kind completion powershell | Out-String | Invoke-Expression

The script completes the program name it was generated for (kind or pykind).
"""


@click.group(cls=KindGroup, context_settings=CONTEXT_SETTINGS, help=LONG_HELP)
@global_options
def completion() -> None:
    pass


def completion_script(ctx: click.Context, shell: str) -> str:
    """The completion script of ``shell`` for the running root command."""
    from click.shell_completion import get_completion_class

    cls = get_completion_class(shell)
    if cls is None:
        raise click.ClickException(
            f"{shell} completion is not supported by this version of click; "
            "supported shells: bash, zsh, fish"
        )
    root = ctx.find_root()
    prog_name = root.info_name or "kind"
    complete_var = "_{}_COMPLETE".format(prog_name.replace("-", "_").replace(".", "_")).upper()
    return cls(root.command, {}, prog_name, complete_var).source()


def _make(shell: str) -> click.Command:
    @click.command(shell, context_settings=CONTEXT_SETTINGS)
    @global_options
    @click.pass_context
    def command(ctx: click.Context) -> None:
        click.echo(completion_script(ctx, shell))

    command.help = f"Output shell completion code for {shell}"
    return command


for _shell in ("bash", "zsh", "fish", "powershell"):
    completion.add_command(_make(_shell))
