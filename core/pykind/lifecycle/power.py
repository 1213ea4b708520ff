"""Stop and start a cluster's containers (``kind stop`` / ``kind start``).

Stopping goes workers, control planes, load balancer; starting the other way round, waiting
for systemd in each node. A restarted container may come back with another address on the
cluster network: every node's addresses are recorded inside it (``/kind/pykind/node-ips.json``,
at stop and after start; the kubelet ``node-ip`` of ``/kind/kubeadm.conf`` when there is no
record), and on start a changed address is rewritten the way a kindest/node entrypoint does it
(static pod manifests, ``kubeadm-flags.env``) plus the kubeconfigs and ``/kind/kubeadm.conf``,
then the kubelet restarts and the load balancer is re-pointed at the control planes.
"""

from __future__ import annotations

import functools
import ipaddress
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pykind.cluster.nodes import (
    bootstrap_control_plane,
    control_plane_nodes,
    external_load_balancer,
    run_concurrently,
    worker_nodes,
)
from pykind.errors import ProviderError, PykindError
from pykind.kubeadm import KUBEADM_CONFIG_PATH
from pykind.lifecycle import lb as lbconf
from pykind.lifecycle.containers import DEFAULT_STOP_TIMEOUT, ContainerControl, container_control
from pykind.lifecycle.nodes import cluster_nodes, wait_nodes_ready
from pykind.lifecycle.recover import current_ips, record_ips, recorded_ips, recover_config
from pykind.runtime.protocols import Node, NodeProvider
from pykind.status import NULL_STATUS, Status, step

#: Clock and sleep, replaceable in tests.
monotonic: Callable[[], float] = time.monotonic
sleep: Callable[[float], None] = time.sleep

#: Seconds a restarted node gets for systemd to finish booting.
DEFAULT_BOOT_TIMEOUT = 120.0
#: ``systemctl is-system-running`` answers meaning "booted".
BOOTED_STATES = ("running", "degraded")
#: Files holding node addresses, rewritten when an address changed (globs are expanded by
#: listing the folders, never by a shell).
IP_FILES = ("/var/lib/kubelet/kubeadm-flags.env", KUBEADM_CONFIG_PATH)
IP_FOLDERS = (("/etc/kubernetes/manifests", "*.yaml"), ("/etc/kubernetes", "*.conf"))


@dataclass(frozen=True)
class PowerResult:
    """What ``stop``/``start`` did: containers acted on (in order), those already in the
    wanted state, per-node address changes handled on start, and warnings."""

    cluster: str
    changed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    ip_changes: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


def stop_groups(nodes: Sequence[Node]) -> list[tuple[str, list[Node]]]:
    """Workers, then control planes, then the load balancer (empty groups dropped)."""
    lb = external_load_balancer(nodes)
    groups = [
        ("worker nodes", worker_nodes(nodes)),
        ("control-plane nodes", control_plane_nodes(nodes)),
        ("the external load balancer", [lb] if lb is not None else []),
    ]
    return [(label, members) for label, members in groups if members]


def start_groups(nodes: Sequence[Node]) -> list[tuple[str, list[Node]]]:
    """The reverse of :func:`stop_groups`: load balancer, control planes, workers."""
    return list(reversed(stop_groups(nodes)))


def wait_for_systemd(node: Node, timeout: float = DEFAULT_BOOT_TIMEOUT) -> None:
    """Poll ``systemctl is-system-running`` until systemd finished booting."""
    deadline = monotonic() + timeout
    state = "unknown"
    while True:
        try:
            result = node.run(["systemctl", "is-system-running"], check=False)
            state = result.text.strip() or state
        except ProviderError as exc:  # the engine may refuse exec while the container starts
            state = str(exc)
        if state in BOOTED_STATES:
            return
        if monotonic() >= deadline:
            raise ProviderError(
                f"node {node.name!r} did not finish booting within {timeout:g}s "
                f"(systemd state: {state}); see its logs (docker/podman logs {node.name})"
            )
        sleep(0.5)


# ---------------------------------------------------------------------------- stop
def stop_cluster(
    provider: NodeProvider,
    cluster: str,
    *,
    timeout: int = DEFAULT_STOP_TIMEOUT,
    status: Status = NULL_STATUS,
) -> PowerResult:
    """Stop ``cluster``'s containers in a safe order; running ones only (idempotent)."""
    nodes = cluster_nodes(provider, cluster)
    control = container_control(provider)
    running = {n.name for n in nodes if control.is_running(n.name)}
    warnings: list[str] = []
    kube_nodes = [n for n in control_plane_nodes(nodes) + worker_nodes(nodes) if n.name in running]
    if kube_nodes:
        with step(status, "Recording node addresses 📝"):
            for node in kube_nodes:
                try:
                    record_ips(node)
                except PykindError as exc:
                    warnings.append(f"could not record the addresses of node {node.name}: {exc}")
    changed: list[str] = []
    for label, members in stop_groups(nodes):
        todo = [n for n in members if n.name in running]
        if not todo:
            continue
        with step(status, f"Stopping {label} ⏹️"):
            run_concurrently(
                [functools.partial(control.stop, n.name, timeout=timeout) for n in todo]
            )
        changed += [n.name for n in todo]
    for message in warnings:
        status.info(f"WARNING: {message}")
    unchanged = tuple(n.name for n in nodes if n.name not in running)
    return PowerResult(cluster, tuple(changed), unchanged, {}, tuple(warnings))


# ---------------------------------------------------------------------------- start
def _start_group(control: ContainerControl, todo: list[Node], boot_timeout: float) -> None:
    def start(node: Node) -> None:
        control.start(node.name)
        if node.role != "external-load-balancer":
            wait_for_systemd(node, boot_timeout)

    run_concurrently([functools.partial(start, n) for n in todo])


def _sed_expression(old: str, new: str) -> str:
    """``s#\\bOLD\\b#NEW#g`` for GNU sed; both must be IP addresses (never user text)."""
    for address in (old, new):
        ipaddress.ip_address(address)  # raises ValueError for anything else
    return "s#\\b" + old.replace(".", "\\.") + "\\b#" + new + "#g"


def ip_files(node: Node) -> list[str]:
    """The files of ``node`` that may hold its address (only those that exist)."""
    files = [f for f in IP_FILES if node.run(["test", "-f", f], check=False).returncode == 0]
    for folder, pattern in IP_FOLDERS:
        listed = node.run(
            ["find", folder, "-maxdepth", "1", "-type", "f", "-name", pattern], check=False
        )
        files += sorted(line for line in listed.text.splitlines() if line.strip())
    return files


def fix_node_ips(node: Node, changes: Sequence[tuple[str, str]]) -> None:
    """Rewrite old addresses to new ones in the node's Kubernetes files, restart the kubelet."""
    files = ip_files(node)
    if files:
        for old, new in changes:
            node.run(["sed", "-i", _sed_expression(old, new), *files])
    node.run(["systemctl", "restart", "kubelet"], check=False)


def _check_ips(node: Node) -> tuple[tuple[str, str], ...]:
    old = recorded_ips(node)
    now = current_ips(node)
    changes = tuple(old.changes(now)) if old is not None else ()
    if changes:
        fix_node_ips(node, changes)
    if old is None or changes or old != now:
        record_ips(node, now)
    return changes


def start_cluster(
    provider: NodeProvider,
    cluster: str,
    *,
    wait: float = 0.0,
    boot_timeout: float = DEFAULT_BOOT_TIMEOUT,
    status: Status = NULL_STATUS,
) -> PowerResult:
    """Start ``cluster``'s stopped containers (load balancer, control planes, workers), wait
    for systemd, handle changed node addresses, re-point the load balancer; with ``wait``,
    wait up to that many seconds for every node to be Ready (a timeout is a warning)."""
    nodes = cluster_nodes(provider, cluster)
    control = container_control(provider)
    stopped = {n.name for n in nodes if not control.is_running(n.name)}
    changed: list[str] = []
    for label, members in start_groups(nodes):
        todo = [n for n in members if n.name in stopped]
        if not todo:
            continue
        with step(status, f"Starting {label} ▶️"):
            _start_group(control, todo, boot_timeout)
        changed += [n.name for n in todo]
    kube_nodes = control_plane_nodes(nodes) + worker_nodes(nodes)
    warnings: list[str] = []
    ip_changes: dict[str, tuple[tuple[str, str], ...]] = {}
    with step(status, "Checking node addresses 🔎"):
        results = run_concurrently([functools.partial(_check_ips, n) for n in kube_nodes])
        ip_changes = {n.name: c for n, c in zip(kube_nodes, results, strict=True) if c}
    for name, pairs in ip_changes.items():
        moved = ", ".join(f"{old} -> {new}" for old, new in pairs)
        status.info(f" • node {name} changed address ({moved}); its configuration was updated")
    planes = control_plane_nodes(nodes)
    if len(planes) > 1 and any(p.name in ip_changes for p in planes):
        warnings.append(
            "control-plane addresses changed in a cluster with several control planes: etcd "
            "members keep their old peer addresses, so the control plane may not recover"
        )
    bootstrap = bootstrap_control_plane(nodes)
    lb = external_load_balancer(nodes)
    if lb is not None:
        family = recover_config(bootstrap, cluster).networking.ip_family
        with step(status, "Configuring the external load balancer ⚖️"):
            lbconf.refresh(lb, nodes, family)
    if wait > 0:
        status.start("Waiting for nodes to be Ready ⏳")
        ready = False
        try:
            ready = wait_nodes_ready(bootstrap, [n.name for n in kube_nodes], wait)
        finally:
            status.end(ready)
        if not ready:
            warnings.append("timed out waiting for the nodes to be Ready")
    for message in warnings:
        status.info(f"WARNING: {message}")
    unchanged = tuple(n.name for n in nodes if n.name not in stopped)
    return PowerResult(cluster, tuple(changed), unchanged, ip_changes, tuple(warnings))
