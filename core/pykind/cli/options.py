"""Flags shared by many commands, as upstream defines them.

``-v/--verbosity`` and ``-q/--quiet`` are accepted on the root and on every command (cobra's
persistent flags); so is ``--disable-plugin``. Values given at several levels combine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from pykind.cli.formats import parse_duration
from pykind.cli.state import get_state

F = TypeVar("F", bound=Callable[..., Any])

CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"]}


def _set_verbosity(ctx: click.Context, _: click.Parameter, value: int | None) -> None:
    if value is not None:
        state = get_state(ctx)
        state.verbosity = max(state.verbosity, value)


def _set_quiet(ctx: click.Context, _: click.Parameter, value: bool) -> None:
    if value:
        get_state(ctx).quiet = True


def _set_loglevel(ctx: click.Context, _: click.Parameter, value: str | None) -> None:
    if value is None:
        return
    state = get_state(ctx)
    level = {"debug": 3, "trace": 2**31 - 1}.get(value.lower())
    if level is not None:
        state.verbosity = max(state.verbosity, level)
    state.warn("--loglevel is deprecated, please switch to -v and -q!")


def _add_disabled(ctx: click.Context, _: click.Parameter, value: tuple[str, ...]) -> None:
    state = get_state(ctx)
    for item in value:
        for name in item.split(","):
            if name.strip() and name.strip() not in state.disabled_plugins:
                state.disabled_plugins.append(name.strip())


def global_options(f: F) -> F:
    """``-v``, ``-q``, ``--loglevel`` (deprecated) and ``--disable-plugin``."""
    decorators = [
        click.option(
            "-v",
            "--verbosity",
            type=int,
            default=None,
            metavar="INT",
            expose_value=False,
            callback=_set_verbosity,
            help="info log verbosity, higher value produces more output",
        ),
        click.option(
            "-q",
            "--quiet",
            is_flag=True,
            expose_value=False,
            callback=_set_quiet,
            help="silence all stderr output except errors",
        ),
        click.option(
            "--loglevel",
            default=None,
            hidden=True,
            expose_value=False,
            callback=_set_loglevel,
            help="DEPRECATED: see -v instead",
        ),
        click.option(
            "--disable-plugin",
            "disable_plugin",
            multiple=True,
            metavar="NAME",
            expose_value=False,
            callback=_add_disabled,
            help="do not load this plugin (repeatable; also env PYKIND_DISABLE_PLUGINS=a,b)",
        ),
    ]
    for decorator in reversed(decorators):
        f = decorator(f)
    return f


def global_params() -> list[click.Parameter]:
    """Fresh instances of the :func:`global_options` parameters."""

    def template() -> None:
        pass

    decorated = global_options(template)
    return list(reversed(getattr(decorated, "__click_params__", [])))


provider_option = click.option(
    "--provider",
    default=None,
    metavar="NAME",
    help="node provider: docker or podman (default: env KIND_EXPERIMENTAL_PROVIDER, "
    "else auto-detect)",
)


def name_option(help: str = "the cluster context name") -> Callable[[F], F]:
    """``-n/--name``; the default (KIND_CLUSTER_NAME, else kind) is applied by the command."""
    return click.option(
        "-n",
        "--name",
        default=None,
        metavar="NAME",
        help=f"{help} (default: env KIND_CLUSTER_NAME, else kind)",
    )


kubeconfig_option = click.option(
    "--kubeconfig",
    default=None,
    metavar="PATH",
    help="sets kubeconfig path instead of $KUBECONFIG or $HOME/.kube/config",
)


def _split_nodes(_: click.Context, __: click.Parameter, value: tuple[str, ...]) -> list[str]:
    return [n.strip() for item in value for n in item.split(",") if n.strip()]


nodes_option = click.option(
    "--nodes",
    multiple=True,
    metavar="NAMES",
    callback=_split_nodes,
    help="comma separated list of nodes to load images into",
)


class Duration(click.ParamType):
    """A Go duration (``60s``, ``1m``, ``5m30s``), converted to seconds."""

    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, (int, float)):
            return float(value)
        try:
            return max(0.0, parse_duration(str(value)))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
