"""``kind add node``, ``kind remove node``, ``kind stop``, ``kind start``; and the
``--progress json`` flag (:func:`progress_option`, :func:`apply_progress`) for any command.

Under the root ``kind`` command these use its state (global flags, console status, error
reporting); invoked on their own (embedding, tests) they fall back to plain stderr lines.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def _from_root_cli(module: str, attribute: str, default: Any) -> Any:
    """``module.attribute`` of the root CLI package when installed, else ``default`` (these
    commands also run stand-alone, for embedding and tests)."""
    try:
        return getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError):
        return default


def _no_options(f: F) -> F:
    return f


#: cobra-like groups (bare ``kind add`` shows help) and the persistent flags ``-v``/``-q``/
#: ``--disable-plugin`` of the root CLI.
KindGroup: type[click.Group] = _from_root_cli("pykind.cli.group", "KindGroup", click.Group)
global_options: Callable[[F], F] = _from_root_cli(
    "pykind.cli.options", "global_options", _no_options
)

CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"]}
CLUSTER_NAME_ENV = "KIND_CLUSTER_NAME"
DEFAULT_CLUSTER_NAME = "kind"
PROGRESS_CHOICES = ("text", "json")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


# ---------------------------------------------------------------------------- shared options
def progress_option(f: F) -> F:
    """``--progress text|json``: with ``json``, progress events go to stdout as JSON Lines
    (:class:`pykind.events.JsonEventsStatus`) instead of status lines on stderr."""
    return click.option(
        "--progress",
        type=click.Choice(PROGRESS_CHOICES),
        default="text",
        show_default=True,
        help="progress output: status lines on stderr (text) or JSON Lines events on stdout",
    )(f)


def apply_progress(manager: Any, progress: str) -> Any:
    """Make ``manager`` report JSON events on stdout when ``progress`` is ``json``."""
    if progress == "json":
        from pykind.events import JsonEventsStatus

        manager.status = JsonEventsStatus(sys.stdout)
    return manager


def parse_duration(text: str) -> float:
    """A Go duration (``90s``, ``1m30s``, ``2h``) or plain seconds, in seconds."""
    text = text.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    pos, total = 0, 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(text) or not text:
        raise ValueError(f"invalid duration {text!r} (use e.g. 60s, 5m, 1m30s)")
    return total


class Duration(click.ParamType):
    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, int | float):
            return float(value)
        try:
            return parse_duration(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def parse_labels(_: click.Context | None, __: click.Parameter | None, value: str | None) -> Any:
    """``k=v,k2=v2`` as a dict (validated again by the node config model)."""
    labels: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in (value or "").split(","))):
        key, sep, val = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"label {item!r} is not key=value")
        labels[key.strip()] = val.strip()
    return labels


provider_option = click.option(
    "--provider",
    default=None,
    metavar="NAME",
    help="node provider: docker or podman (default: env KIND_EXPERIMENTAL_PROVIDER, "
    "else auto-detect)",
)


def name_option(help: str) -> Callable[[F], F]:
    return click.option("-n", "--name", default=None, metavar="NAME", help=help)


def cluster_name(flag: str | None) -> str:
    return flag or os.environ.get(CLUSTER_NAME_ENV) or DEFAULT_CLUSTER_NAME


# ---------------------------------------------------------------------------- plumbing
class _StderrStatus:
    """Status lines on stderr, for commands run outside the root ``kind`` command."""

    def __init__(self) -> None:
        self._steps: list[str] = []

    def start(self, message: str) -> None:
        self._steps.append(message)
        click.echo(f" • {message}  ...", err=True)

    def end(self, ok: bool) -> None:
        message = self._steps.pop() if self._steps else ""
        click.echo(f" {'✓' if ok else '✗'} {message}", err=True)

    def info(self, message: str) -> None:
        click.echo(message, err=True)


class Session:
    """The root CLI's state when there is one, else a minimal stand-alone equivalent."""

    def __init__(self, provider: str | None, progress: str = "text") -> None:
        root = click.get_current_context().find_root()
        state = root.obj
        self.state = state if hasattr(state, "manager") and hasattr(state, "status") else None
        if self.state is not None:
            self.state.setup()
            self.manager = self.state.manager(provider)
        else:
            from pykind.cluster.manager import ClusterManager

            self.manager = ClusterManager(provider, status=_StderrStatus())
        apply_progress(self.manager, progress)

    def info(self, message: str) -> None:
        if self.state is not None:
            self.state.info(message)
        else:
            click.echo(message, err=True)

    def warn(self, message: str) -> None:
        if self.state is not None:
            self.state.warn(message)
        else:
            click.echo(f"WARNING: {message}", err=True)


def fail(message: str, exc: BaseException) -> NoReturn:
    """Raise the root CLI's CommandError (``ERROR: message: cause`` plus command output)."""
    try:
        from pykind.cli.errors import CommandError
    except ImportError:
        raise click.ClickException(f"{message}: {exc}") from exc
    raise CommandError(message, exc) from exc


# ---------------------------------------------------------------------------- add / remove
@click.group(cls=KindGroup, context_settings=CONTEXT_SETTINGS)
@global_options
def add() -> None:
    """Adds one of [node]"""


@add.command("node", context_settings=CONTEXT_SETTINGS)
@click.option(
    "--role",
    type=click.Choice(["worker", "control-plane"]),
    default="worker",
    show_default=True,
    help="role of the new node",
)
@click.option("--image", default=None, help="node image (default: the control plane's)")
@click.option(
    "--labels",
    default=None,
    metavar="K=V,...",
    callback=parse_labels,
    help="Kubernetes labels of the new node",
)
@click.option(
    "--config",
    default=None,
    metavar="PATH",
    help="the cluster's config file, to apply its kubeadm/containerd patches to the node",
)
@click.option(
    "--wait",
    type=Duration(),
    default="0s",
    metavar="DURATION",
    help="wait for the node to be Ready (default 0s)",
)
@click.option("--retain", is_flag=True, help="keep the node when joining it fails")
@name_option("the cluster name (default: env KIND_CLUSTER_NAME, else kind)")
@provider_option
@progress_option
@global_options
def add_node(
    role: str,
    image: str | None,
    labels: dict[str, str],
    config: str | None,
    wait: float,
    retain: bool,
    name: str | None,
    provider: str | None,
    progress: str,
) -> None:
    """Adds a node to a running cluster

    Provisions a node container with the next free name, renders its kubeadm config and
    joins it. Control planes join through the load balancer, which is then re-pointed; a
    cluster created with a single control plane has none, so it cannot get more.
    """
    from pykind.errors import PykindError

    cluster = cluster_name(name)
    session = Session(provider, progress)
    session.info(f'Adding a {role} node to cluster "{cluster}" ...')
    try:
        result = session.manager.add_node(
            cluster,
            role=role,
            image=image,
            labels=labels or None,
            config=config,
            wait=wait,
            retain=retain,
        )
    except PykindError as exc:
        fail(f'failed to add a node to cluster "{cluster}"', exc)
    session.info(f'Added node "{result.name}" ({result.role}, {result.image})')


@click.group(cls=KindGroup, context_settings=CONTEXT_SETTINGS)
@global_options
def remove() -> None:
    """Removes one of [node]"""


@remove.command("node", context_settings=CONTEXT_SETTINGS)
@click.argument("node")
@name_option("the cluster name (default: env KIND_CLUSTER_NAME, else the cluster holding NODE)")
@click.option(
    "--force", is_flag=True, help="go on when draining or kubeadm reset fails (with warnings)"
)
@provider_option
@progress_option
@global_options
def remove_node(
    node: str, name: str | None, force: bool, provider: str | None, progress: str
) -> None:
    """Drains and removes a node from its cluster

    Drains NODE, runs kubeadm reset on a control plane (leaving etcd), deletes the Node
    object, re-points the load balancer and removes the container. The last control plane
    is never removed: delete the cluster instead.
    """
    from pykind.errors import PykindError

    session = Session(provider, progress)
    session.info(f'Removing node "{node}" ...')
    try:
        result = session.manager.remove_node(
            node, name=name or os.environ.get(CLUSTER_NAME_ENV) or None, force=force
        )
    except PykindError as exc:
        fail(f'failed to remove node "{node}"', exc)
    session.info(f'Removed node "{result.name}" from cluster "{result.cluster}"')


# ---------------------------------------------------------------------------- stop / start
@click.command("stop", context_settings=CONTEXT_SETTINGS)
@name_option("the cluster name (default: env KIND_CLUSTER_NAME, else kind)")
@click.option(
    "--timeout",
    type=click.IntRange(min=0),
    default=30,
    show_default=True,
    metavar="SECONDS",
    help="seconds each node gets to shut down before it is killed",
)
@provider_option
@progress_option
@global_options
def stop(name: str | None, timeout: int, provider: str | None, progress: str) -> None:
    """Stops a cluster's containers

    Workers first, then control planes, then the load balancer. The cluster keeps its
    state; `kind start` brings it back.
    """
    from pykind.errors import PykindError

    cluster = cluster_name(name)
    session = Session(provider, progress)
    session.info(f'Stopping cluster "{cluster}" ...')
    try:
        result = session.manager.stop(cluster, timeout=timeout)
    except PykindError as exc:
        fail(f'failed to stop cluster "{cluster}"', exc)
    if not result.changed:
        session.info(f'Cluster "{cluster}" was already stopped')


@click.command("start", context_settings=CONTEXT_SETTINGS)
@name_option("the cluster name (default: env KIND_CLUSTER_NAME, else kind)")
@click.option(
    "--wait",
    type=Duration(),
    default="0s",
    metavar="DURATION",
    help="wait for the nodes to be Ready (default 0s)",
)
@provider_option
@progress_option
@global_options
def start(name: str | None, wait: float, provider: str | None, progress: str) -> None:
    """Starts a stopped cluster's containers

    The load balancer first, then control planes, then workers, waiting for systemd in each
    node. Node addresses that changed are rewritten in the nodes' Kubernetes configuration
    and the load balancer is re-pointed.
    """
    from pykind.errors import PykindError

    cluster = cluster_name(name)
    session = Session(provider, progress)
    session.info(f'Starting cluster "{cluster}" ...')
    try:
        result = session.manager.start(cluster, wait=wait)
    except PykindError as exc:
        fail(f'failed to start cluster "{cluster}"', exc)
    if not result.changed:
        session.info(f'Cluster "{cluster}" was already running')
