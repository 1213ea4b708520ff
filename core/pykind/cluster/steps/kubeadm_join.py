"""Step ``kubeadm-join``: join the other control planes one at a time, then the workers in
parallel (upstream's ``kubeadmjoin`` action)."""

from __future__ import annotations

import functools

from pykind.cluster.context import StepContext
from pykind.cluster.nodes import run_concurrently, secondary_control_planes, worker_nodes
from pykind.plugin.types import CreateStep, Phase
from pykind.runtime.protocols import Node
from pykind.status import step

JOIN_ARGV = (
    "kubeadm",
    "join",
    "--config",
    "/kind/kubeadm.conf",
    "--skip-phases=preflight",
    "--v=6",
)


def join(node: Node) -> None:
    node.run(list(JOIN_ARGV))


def run(ctx: StepContext) -> None:
    nodes = ctx.nodes()
    planes = secondary_control_planes(nodes)
    if planes:
        with step(ctx.status, "Joining more control-plane nodes 🎮"):
            for node in planes:  # not safe concurrently (etcd membership)
                join(node)
    workers = worker_nodes(nodes)
    if workers:
        with step(ctx.status, "Joining worker nodes 🚜"):
            run_concurrently([functools.partial(join, n) for n in workers])


STEP = CreateStep(
    name="kubeadm-join",
    phase=Phase.KUBEADM_JOIN,
    run=run,
    description="kubeadm join the other control planes, then the workers",
)
