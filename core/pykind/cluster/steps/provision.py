"""Step ``provision``: create the cluster's containers (upstream's ``Provider.Provision``)."""

from __future__ import annotations

import dataclasses

from pykind import loadbalancer
from pykind.cluster.context import StepContext
from pykind.plugin.types import CreateStep, Phase
from pykind.runtime.plan import plan_nodes

_FLAVOUR_KEY = "loadbalancer_flavour"


def load_balancer_flavour(ctx: StepContext) -> loadbalancer.LoadBalancerFlavour:
    """The load balancer flavour of this run, chosen once (environment) and kept in ctx."""
    flavour = ctx.data.get(_FLAVOUR_KEY)
    if not isinstance(flavour, loadbalancer.LoadBalancerFlavour):
        flavour = loadbalancer.selected()
        ctx.data[_FLAVOUR_KEY] = flavour
    return flavour


def run(ctx: StepContext) -> None:
    flavour = load_balancer_flavour(ctx)
    plan = plan_nodes(ctx.config, config_dir=ctx.config_dir, load_balancer_image=flavour.image)
    plan = dataclasses.replace(plan, extra={**plan.extra, loadbalancer.PLAN_KEY: flavour.name})
    ctx.plan = plan
    # the provider reports "Preparing nodes 📦 ..." itself, as upstream's providers do
    ctx.provider.provision(plan, ctx.status)
    ctx.nodes(refresh=True)


STEP = CreateStep(
    name="provision",
    phase=Phase.PROVISION,
    run=run,
    description="create the node containers (and the load balancer) and wait for systemd",
)
