"""``kind add node``, ``kind remove node``, ``kind stop``, ``kind start``; and the
``--progress json`` flag (:func:`progress_option`, :func:`apply_progress`) for any command
that drives a ClusterManager."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from pykind.cli.errors import CommandError
from pykind.cli.formats import go_quote
from pykind.cli.group import KindGroup
from pykind.cli.options import CONTEXT_SETTINGS, Duration, global_options, provider_option
from pykind.cli.state import CLUSTER_NAME_ENV, AppState, default_name, get_state

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

PROGRESS_CHOICES = ("text", "json")


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


def parse_labels(_: click.Context | None, __: click.Parameter | None, value: str | None) -> Any:
    """``k=v,k2=v2`` as a dict (validated again by the node config model)."""
    labels: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in (value or "").split(","))):
        key, sep, val = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"label {item!r} is not key=value")
        labels[key.strip()] = val.strip()
    return labels


def name_option(help: str) -> Callable[[F], F]:
    return click.option("-n", "--name", default=None, metavar="NAME", help=help)


def _start(provider: str | None, progress: str) -> tuple[AppState, Any]:
    state = get_state()
    state.setup()
    manager = apply_progress(state.manager(provider), progress)
    return state, manager


def _run(state: AppState, doing: str, failed: str, action: Callable[[], T]) -> T:
    """Say what is being done, then do it; a PykindError becomes ``failed: <error>``."""
    from pykind.errors import PykindError

    state.info(doing)
    try:
        return action()
    except PykindError as exc:
        raise CommandError(failed, exc) from exc


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
    cluster = default_name(name)
    state, manager = _start(provider, progress)
    result = _run(
        state,
        f"Adding a {role} node to cluster {go_quote(cluster)} ...",
        f"failed to add a node to cluster {go_quote(cluster)}",
        lambda: manager.add_node(
            cluster,
            role=role,
            image=image,
            labels=labels or None,
            config=config,
            wait=wait,
            retain=retain,
        ),
    )
    state.info(f"Added node {go_quote(result.name)} ({result.role}, {result.image})")


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
    state, manager = _start(provider, progress)
    result = _run(
        state,
        f"Removing node {go_quote(node)} ...",
        f"failed to remove node {go_quote(node)}",
        lambda: manager.remove_node(
            node, name=name or os.environ.get(CLUSTER_NAME_ENV) or None, force=force
        ),
    )
    state.info(f"Removed node {go_quote(result.name)} from cluster {go_quote(result.cluster)}")


# ---------------------------------------------------------------------------- stop / start
def _power(
    name: str | None, provider: str | None, progress: str, *, stop: bool, **options: Any
) -> None:
    """The body of ``kind stop`` (``stop=True``) and ``kind start``; ``options`` go to the
    manager's ``stop``/``start``."""
    cluster = default_name(name)
    state, manager = _start(provider, progress)
    verb, doing, already = (
        ("stop", "Stopping", "stopped") if stop else ("start", "Starting", "running")
    )
    action = manager.stop if stop else manager.start
    result = _run(
        state,
        f"{doing} cluster {go_quote(cluster)} ...",
        f"failed to {verb} cluster {go_quote(cluster)}",
        lambda: action(cluster, **options),
    )
    if not result.changed:
        state.info(f"Cluster {go_quote(cluster)} was already {already}")


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
    _power(name, provider, progress, stop=True, timeout=timeout)


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
    _power(name, provider, progress, stop=False, wait=wait)
