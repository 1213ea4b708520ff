"""Step ``kubeadm-config``: write ``/kind/kubeadm.conf`` on every node, and apply the
containerd config patches (upstream's ``config`` action, "Writing configuration 📜")."""

from __future__ import annotations

import functools

from pykind.cluster.context import StepContext
from pykind.cluster.nodes import (
    control_plane_nodes,
    kube_version,
    read_file,
    run_concurrently,
    worker_nodes,
    write_file,
)
from pykind.config.models import IPFamily
from pykind.config.models import Node as NodeConfig
from pykind.errors import ProviderError, PykindError
from pykind.plugin.types import CreateStep, Phase
from pykind.runtime.plan import node_name
from pykind.runtime.protocols import ROLE_CONTROL_PLANE, ROLE_WORKER, Node
from pykind.status import step

KUBEADM_CONF = "/kind/kubeadm.conf"
CONTAINERD_CONFIG = "/etc/containerd/config.toml"
_TOKEN_KEY = "kubeadm_token"


def node_config(ctx: StepContext, node: Node) -> NodeConfig:
    """The config entry ``node`` was created from (by plan; else by upstream's naming)."""
    if ctx.plan is not None:
        for spec in ctx.plan.nodes:
            if spec.name == node.name and spec.config is not None:
                return spec.config
    counts = {ROLE_CONTROL_PLANE: 0, ROLE_WORKER: 0}
    for cfg in ctx.config.nodes:
        role = cfg.role.value
        counts[role] += 1
        if node_name(ctx.config.name, role, counts[role]) == node.name:
            return cfg
    raise PykindError(f"failed to match node {node.name!r} to the cluster config")


def join_token(ctx: StepContext) -> str:
    """The bootstrap token of this cluster, made once."""
    token = ctx.data.get(_TOKEN_KEY)
    if not isinstance(token, str):
        from pykind.kubeadm import new_token

        token = new_token()
        ctx.data[_TOKEN_KEY] = token
    return token


def _extra_patches(ctx: StepContext, cfg: NodeConfig) -> list[str]:
    batches = ctx.pm.hook.pykind_kubeadm_config_patches(config=ctx.config, node=cfg)
    return [patch for batch in batches for patch in (batch or ())]


def _write_node_config(
    ctx: StepContext, node: Node, *, bootstrap: str, endpoint: str, rootless: bool
) -> list[str]:
    from pykind.kubeadm import NodeFacts, node_kubeadm_config

    cfg = node_config(ctx, node)
    ipv4, ipv6 = node.ip()
    if ctx.config.networking.ip_family == IPFamily.IPV6 and not ipv6:
        raise ProviderError(
            f"failed to get an IPv6 address for node {node.name!r}; "
            "is the container engine configured to use IPv6 correctly?"
        )
    facts = NodeFacts(
        node_name=node.name,
        role=node.role,
        ipv4=ipv4,
        ipv6=ipv6,
        kubernetes_version=kube_version(node),
        control_plane_endpoint=endpoint,
        token=join_token(ctx),
        provider_name=ctx.provider.name,
        rootless=rootless,
        is_bootstrap_control_plane=node.name == bootstrap,
    )
    rendered = node_kubeadm_config(
        ctx.config,
        cfg,
        facts,
        extra_patches=tuple(_extra_patches(ctx, cfg)),
        strict=ctx.strict_patches,
    )
    write_file(node, KUBEADM_CONF, rendered.text)
    return list(rendered.warnings)


def _patch_containerd(ctx: StepContext, node: Node) -> list[str]:
    from pykind.containerd import patch_containerd_config

    current = read_file(node, CONTAINERD_CONFIG)
    rendered = patch_containerd_config(
        current,
        ctx.config.containerd_config_patches,
        ctx.config.containerd_config_patches_json6902,
        strict=ctx.strict_patches,
    )
    write_file(node, CONTAINERD_CONFIG, rendered.text)
    # the nodes run systemd (provision waited for it): restart containerd on the new config
    node.run(["systemctl", "restart", "containerd"])
    return list(rendered.warnings)


def run(ctx: StepContext) -> None:
    with step(ctx.status, "Writing configuration 📜"):
        nodes = ctx.nodes()
        kube_nodes = control_plane_nodes(nodes) + worker_nodes(nodes)
        if not kube_nodes:
            raise PykindError("the cluster has no Kubernetes nodes")
        endpoint = ctx.provider.api_server_internal_endpoint(ctx.config.name)
        rootless = ctx.provider.info().rootless
        join_token(ctx)  # made once, before the threads
        write = functools.partial(
            _write_node_config,
            ctx,
            bootstrap=kube_nodes[0].name,
            endpoint=endpoint,
            rootless=rootless,
        )
        warnings = run_concurrently([functools.partial(write, node) for node in kube_nodes])
        cfg = ctx.config
        if cfg.containerd_config_patches or cfg.containerd_config_patches_json6902:
            patch = functools.partial(_patch_containerd, ctx)
            warnings += run_concurrently([functools.partial(patch, n) for n in kube_nodes])
        for message in dict.fromkeys(w for batch in warnings for w in batch):
            ctx.warn(message)


STEP = CreateStep(
    name="kubeadm-config",
    phase=Phase.KUBEADM_CONFIG,
    run=run,
    description="render /kind/kubeadm.conf on every node; patch containerd's config",
)
