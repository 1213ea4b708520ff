"""Add a node to a running cluster, or remove one (``kind add node`` / ``kind remove node``).

Adding provisions one container through the provider (a :class:`ProvisionPlan` holding just
that node), renders its kubeadm config with :mod:`pykind.kubeadm` from the cluster's own
settings (read back from the bootstrap control plane) and a fresh bootstrap token, joins it
(control planes through the load balancer, after copying the shared certificates, as the
create pipeline does) and re-points the load balancer when a control plane was added.

Removing drains the node, runs ``kubeadm reset -f`` on a control plane (which removes its etcd
member, as kubeadm does), deletes the Node object, re-points the load balancer and removes the
container. The last control plane is never removed.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from pydantic import ValidationError

from pykind.cluster.nodes import (
    KUBECTL_ADMIN,
    bootstrap_control_plane,
    control_plane_nodes,
    copy_node_to_node,
    external_load_balancer,
    kube_version,
    read_file,
    write_file,
)
from pykind.cluster.steps.kubeadm_init import SHARED_CONTROL_PLANE_FILES
from pykind.cluster.steps.kubeadm_join import JOIN_ARGV
from pykind.config.models import ClusterConfig
from pykind.config.models import Node as NodeConfig
from pykind.errors import (
    ClusterNotFoundError,
    ConfigError,
    ImageNotFoundError,
    NodeCommandError,
    PykindError,
)
from pykind.kubeadm import KUBEADM_CONFIG_PATH
from pykind.lifecycle import lb as lbconf
from pykind.lifecycle.containers import node_image
from pykind.lifecycle.recover import record_ips, recover_config
from pykind.runtime.plan import node_name
from pykind.runtime.protocols import (
    ROLE_CONTROL_PLANE,
    ROLE_LOAD_BALANCER,
    ROLE_WORKER,
    Node,
    NodeProvider,
    NodeSpec,
    ProvisionPlan,
)
from pykind.status import NULL_STATUS, Status, step

#: Clock and sleep, replaceable in tests.
monotonic: Callable[[], float] = time.monotonic
sleep: Callable[[float], None] = time.sleep

#: Lifetime of the bootstrap token made for one join.
TOKEN_TTL = "15m"
DRAIN_TIMEOUT = "120s"
_TOKEN = re.compile(r"^[a-z0-9]{6}\.[a-z0-9]{16}$")
_ROLES = {"worker": ROLE_WORKER, "control-plane": ROLE_CONTROL_PLANE}


@dataclass(frozen=True)
class AddNodeResult:
    """What ``add node`` created."""

    name: str
    role: str
    cluster: str
    image: str
    warnings: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class RemoveNodeResult:
    """What ``remove node`` did."""

    name: str
    role: str
    cluster: str
    warnings: tuple[str, ...] = field(default=())


# ---------------------------------------------------------------------------- helpers
def cluster_nodes(provider: NodeProvider, cluster: str) -> list[Node]:
    nodes = provider.list_nodes(cluster)
    if not nodes:
        raise ClusterNotFoundError(f'no nodes found for cluster "{cluster}"')
    return nodes


def next_node_name(cluster: str, role: str, taken: set[str]) -> str:
    """The first free upstream-style name: ``<c>-worker``, ``<c>-worker2``, ..."""
    index = 1
    while node_name(cluster, role, index) in taken:
        index += 1
    return node_name(cluster, role, index)


def _node_config(role: str, image: str, labels: Mapping[str, str] | None) -> NodeConfig:
    try:
        return NodeConfig.model_validate(
            {"role": role, "image": image, "labels": dict(labels or {})}
        )
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem.get("loc", ()))
        raise ConfigError(problem.get("msg", str(exc)), field=where or "node") from exc


def _ensure_image(provider: NodeProvider, image: str) -> None:
    if provider.image_id(image) is not None:
        return
    try:
        provider.pull_image(image)
    except ImageNotFoundError as exc:
        raise ImageNotFoundError(
            f"image {image!r} is not present in {provider.name} and could not be pulled: {exc}"
        ) from exc


def join_token(bootstrap: Node) -> str:
    """A fresh bootstrap token registered with ``kubeadm token create`` on the bootstrap
    control plane; when that fails, the token in its kubeadm config."""
    from pykind.kubeadm import new_token

    token = new_token()
    argv = [
        "kubeadm",
        "token",
        "create",
        token,
        f"--ttl={TOKEN_TTL}",
        "--description=pykind add node",
    ]
    result = bootstrap.run(argv, check=False)
    if result.returncode == 0:
        return token
    from pykind.lifecycle.recover import kubeadm_documents

    init = kubeadm_documents(bootstrap).get("InitConfiguration") or {}
    for entry in init.get("bootstrapTokens") or ():
        existing = str((entry or {}).get("token", ""))
        if _TOKEN.match(existing):
            return existing
    raise NodeCommandError(
        argv, result.returncode, result.stdout, result.stderr, node=bootstrap.name
    )


def _extra_patches(pm: object | None, config: ClusterConfig, node: NodeConfig) -> tuple[str, ...]:
    hook = getattr(getattr(pm, "hook", None), "pykind_kubeadm_config_patches", None)
    if hook is None:
        return ()
    return tuple(p for batch in hook(config=config, node=node) for p in (batch or ()))


def node_ready(operator: Node, name: str) -> bool:
    argv = [
        "kubectl",
        "--request-timeout=1s",
        KUBECTL_ADMIN,
        "get",
        "nodes",
        name,
        "-o=jsonpath={.status.conditions[-1:].status}",
    ]
    result = operator.run(argv, check=False)
    return result.returncode == 0 and "True" in result.text


def wait_nodes_ready(operator: Node, names: list[str], timeout: float) -> bool:
    """Poll until every node in ``names`` is Ready; False on timeout."""
    deadline = monotonic() + timeout
    pending = list(names)
    while True:
        pending = [n for n in pending if not node_ready(operator, n)]
        if not pending:
            return True
        if monotonic() >= deadline:
            return False
        sleep(min(1.0, max(0.0, deadline - monotonic())))


# ---------------------------------------------------------------------------- add
def add_node(
    provider: NodeProvider,
    cluster: str,
    *,
    role: str = ROLE_WORKER,
    image: str | None = None,
    labels: Mapping[str, str] | None = None,
    config: ClusterConfig | None = None,
    wait: float = 0.0,
    retain: bool = False,
    status: Status = NULL_STATUS,
    plugin_manager: object | None = None,
) -> AddNodeResult:
    """Add a ``role`` node to ``cluster`` and join it.

    ``config`` is the cluster's config (to re-apply its kubeadm/containerd patches); without
    it the settings are read back from the bootstrap control plane. ``image`` defaults to the
    bootstrap control plane's. On failure the new container is removed unless ``retain``.
    """
    kind = _ROLES.get(role.strip().lower())
    if kind is None:
        raise ConfigError(f"unknown role {role!r}; choose worker or control-plane", field="role")
    nodes = cluster_nodes(provider, cluster)
    bootstrap = bootstrap_control_plane(nodes)
    lb = external_load_balancer(nodes)
    if kind == ROLE_CONTROL_PLANE and lb is None:
        raise PykindError(
            f"cluster {cluster} has a single control plane without a load balancer; "
            "create it with 2+ control planes to add more"
        )
    roles = [n.role for n in nodes if n.role != ROLE_LOAD_BALANCER]
    if config is None:
        cfg = recover_config(bootstrap, cluster, roles=roles)
    else:
        cfg = config.model_copy(update={"name": cluster}).with_defaults()
    image = image or node_image(provider, bootstrap)
    node_cfg = _node_config(kind, image, labels)
    cfg = cfg.model_copy(update={"nodes": [*cfg.nodes, node_cfg]})
    name = next_node_name(cluster, kind, {n.name for n in nodes})

    _ensure_image(provider, image)
    plan = ProvisionPlan(
        cluster=cluster,
        config=cfg,
        nodes=(NodeSpec(name=name, role=kind, image=image, config=node_cfg),),
        api_server_address=cfg.networking.api_server_address,
    )
    with step(status, f"Preparing node {name} 📦"):
        provider.provision(plan, NULL_STATUS)
    created = next((n for n in provider.list_nodes(cluster) if n.name == name), None)
    if created is None:
        raise PykindError(f"node {name!r} was provisioned but is not listed by {provider.name}")
    warnings: list[str] = []
    try:
        warnings += _configure_and_join(
            provider, cfg, node_cfg, created, bootstrap, status, plugin_manager
        )
        if kind == ROLE_CONTROL_PLANE and lb is not None:
            with step(status, "Configuring the external load balancer ⚖️"):
                lbconf.refresh(lb, provider.list_nodes(cluster), cfg.networking.ip_family)
    except BaseException:
        if not retain:
            _discard(provider, created, control_plane=kind == ROLE_CONTROL_PLANE)
        raise
    if wait > 0:
        status.start(f"Waiting for node {name} to be Ready ⏳")
        ok = False
        try:
            ok = wait_nodes_ready(bootstrap, [name], wait)
        finally:
            status.end(ok)
        if not ok:
            warnings.append(f"timed out waiting for node {name} to be Ready")
            status.info(f"WARNING: {warnings[-1]}")
    return AddNodeResult(
        name=name, role=kind, cluster=cluster, image=image, warnings=tuple(warnings)
    )


def _configure_and_join(
    provider: NodeProvider,
    cfg: ClusterConfig,
    node_cfg: NodeConfig,
    node: Node,
    bootstrap: Node,
    status: Status,
    pm: object | None,
) -> list[str]:
    from pykind.kubeadm import NodeFacts, node_kubeadm_config

    warnings: list[str] = []
    with step(status, "Writing configuration 📜"):
        ipv4, ipv6 = node.ip()
        facts = NodeFacts(
            node_name=node.name,
            role=node.role,
            ipv4=ipv4,
            ipv6=ipv6,
            kubernetes_version=kube_version(node),
            control_plane_endpoint=provider.api_server_internal_endpoint(cfg.name),
            token=join_token(bootstrap),
            provider_name=provider.name,
            rootless=provider.info().rootless,
        )
        rendered = node_kubeadm_config(
            cfg, node_cfg, facts, extra_patches=_extra_patches(pm, cfg, node_cfg)
        )
        warnings += rendered.warnings
        write_file(node, KUBEADM_CONFIG_PATH, rendered.text)
        if cfg.containerd_config_patches or cfg.containerd_config_patches_json6902:
            warnings += _patch_containerd(cfg, node)
        if node.role == ROLE_CONTROL_PLANE:
            for path in SHARED_CONTROL_PLANE_FILES:
                copy_node_to_node(bootstrap, node, path)
    emoji = "🎮" if node.role == ROLE_CONTROL_PLANE else "🚜"
    with step(status, f"Joining {node.role} node {node.name} {emoji}"):
        node.run(list(JOIN_ARGV))
    record_ips(node)
    for message in warnings:
        status.info(f"WARNING: {message}")
    return warnings


def _patch_containerd(cfg: ClusterConfig, node: Node) -> list[str]:
    from pykind.containerd import patch_containerd_config

    path = "/etc/containerd/config.toml"
    rendered = patch_containerd_config(
        read_file(node, path),
        cfg.containerd_config_patches,
        cfg.containerd_config_patches_json6902,
    )
    write_file(node, path, rendered.text)
    node.run(["systemctl", "restart", "containerd"])
    return list(rendered.warnings)


def _discard(provider: NodeProvider, node: Node, *, control_plane: bool) -> None:
    """Remove a node that failed to join; a control plane first leaves etcd (best effort)."""
    if control_plane:
        with contextlib.suppress(PykindError):
            node.run(["kubeadm", "reset", "-f"], check=False)
    provider.delete_nodes([node])


# ---------------------------------------------------------------------------- remove
def find_node(provider: NodeProvider, node: str, cluster: str | None) -> tuple[str, list[Node]]:
    """The cluster holding container ``node`` (``cluster`` when given) and its nodes."""
    if cluster is not None:
        nodes = cluster_nodes(provider, cluster)
        if not any(n.name == node for n in nodes):
            names = ", ".join(n.name for n in nodes)
            raise PykindError(f"cluster {cluster!r} has no node {node!r} (its nodes: {names})")
        return cluster, nodes
    for candidate in provider.list_clusters():
        nodes = provider.list_nodes(candidate)
        if any(n.name == node for n in nodes):
            return candidate, nodes
    raise PykindError(f"no cluster has a node named {node!r}")


def remove_node(
    provider: NodeProvider,
    node: str,
    *,
    cluster: str | None = None,
    force: bool = False,
    status: Status = NULL_STATUS,
) -> RemoveNodeResult:
    """Drain and remove node ``node`` (searched in every cluster unless ``cluster`` is
    given). ``force`` goes on when draining or ``kubeadm reset`` fails (with warnings)."""
    cluster, nodes = find_node(provider, node, cluster)
    target = next(n for n in nodes if n.name == node)
    if target.role == ROLE_LOAD_BALANCER:
        raise PykindError(f"{node!r} is the load balancer of cluster {cluster!r}, not a node")
    planes = control_plane_nodes(nodes)
    if target.role == ROLE_CONTROL_PLANE and len(planes) <= 1:
        raise PykindError(
            f"{node!r} is the last control plane of cluster {cluster!r}; "
            f"delete the cluster instead (kind delete cluster --name {cluster})"
        )
    operator = (
        next(n for n in planes if n.name != node)
        if target.role == ROLE_CONTROL_PLANE
        else planes[0]
    )
    warnings: list[str] = []

    def attempt(what: str, action: Callable[[], object]) -> None:
        try:
            action()
        except PykindError as exc:
            if not force:
                raise PykindError(f"{what} failed (use force to go on anyway): {exc}") from exc
            warnings.append(f"{what} failed: {exc}")
            status.info(f"WARNING: {warnings[-1]}")

    with step(status, f"Draining node {node} 🚰"):
        attempt(
            f"draining node {node}",
            lambda: operator.run(
                [
                    "kubectl",
                    KUBECTL_ADMIN,
                    "drain",
                    node,
                    "--ignore-daemonsets",
                    "--delete-emptydir-data",
                    "--force",
                    f"--timeout={DRAIN_TIMEOUT}",
                ]
            ),
        )
    if target.role == ROLE_CONTROL_PLANE:
        with step(status, f"Removing {node} from etcd (kubeadm reset) 🗑"):
            attempt(f"kubeadm reset on {node}", lambda: target.run(["kubeadm", "reset", "-f"]))
    with step(status, f"Deleting node {node} 🔥"):
        operator.run(["kubectl", KUBECTL_ADMIN, "delete", "node", node, "--ignore-not-found"])
        remaining = [n for n in nodes if n.name != node]
        lb = external_load_balancer(nodes)
        if target.role == ROLE_CONTROL_PLANE and lb is not None:
            family = recover_config(operator, cluster).networking.ip_family
            lbconf.refresh(lb, remaining, family)
        provider.delete_nodes([target])
    return RemoveNodeResult(name=node, role=target.role, cluster=cluster, warnings=tuple(warnings))


__all__ = [
    "AddNodeResult",
    "RemoveNodeResult",
    "add_node",
    "find_node",
    "join_token",
    "next_node_name",
    "remove_node",
    "wait_nodes_ready",
]
