"""Scenarios 2 and 5: provisioning N nodes until systemd is up, and deleting them.

pykind: ``provider.provision(plan)`` (fresh provider object, so connecting is included), which
returns once every node's log shows systemd's multi-user target.

Baseline: what upstream kind runs, with the engine CLI — N ``<engine> run`` in parallel with
the same flags and labels (podman: after ``podman volume create`` for /var), each followed by
``<engine> logs -f`` until the same log line shows.

Delete: ``kind delete cluster`` (a process, as users run it) on pykind's cluster vs
``<engine> rm -f -v`` of the baseline's containers (podman: plus ``volume ls``/``volume rm`` of
their /var volumes, as upstream).
"""

from __future__ import annotations

import functools
from typing import Any

from bench.context import Context
from bench.procs import parallel, run, timed
from bench.stats import Metric

NODE_COUNTS = (1, 3, 6)


def _config(name: str, image: str, nodes: int) -> Any:
    from pykind.config.models import ClusterConfig

    raw = {
        "name": name,
        "nodes": [{"role": "control-plane", "image": image}]
        + [{"role": "worker", "image": image} for _ in range(nodes - 1)],
    }
    return ClusterConfig.model_validate(raw).with_defaults()


def _plan(name: str, image: str, nodes: int) -> Any:
    from pykind.runtime.plan import plan_nodes

    return plan_nodes(_config(name, image, nodes))


def provision_ours(ctx: Context, cluster: str, nodes: int) -> float:
    from pykind.status import NULL_STATUS

    plan = _plan(cluster, ctx.engine.node_image, nodes)

    def go() -> None:
        ctx.engine.provider().provision(plan, NULL_STATUS)

    return timed(go)


def provision_baseline(ctx: Context, cluster: str, nodes: int) -> float:
    engine = ctx.engine
    helper = engine.provider()
    network = helper.ensure_network()  # exists already; upstream ensures it first too
    requests = helper.plan_containers(_plan(cluster, engine.node_image, nodes), network)

    def one(request: Any) -> None:
        run(engine.run_argv(request)).check()
        engine.wait_for_boot(request.name)

    return timed(lambda: parallel([functools.partial(one, r) for r in requests]))


def delete_ours(ctx: Context, cluster: str) -> float:
    return (
        run([ctx.kind, "delete", "cluster", "--name", cluster], env=ctx.engine.kind_env())
        .check()
        .seconds
    )


def delete_baseline(ctx: Context, cluster: str) -> float:
    engine = ctx.engine
    names = [c["name"] for c in engine.containers(cluster) if c["cluster"] == cluster]

    def go() -> None:
        run(engine.rm_argv(names)).check()
        engine.remove_volumes(engine.node_volumes(names))

    return timed(go)


def measure(ctx: Context, counts: tuple[int, ...] = NODE_COUNTS) -> None:
    for nodes in counts:
        prov_ours: list[float] = []
        prov_base: list[float] = []
        del_ours: list[float] = []
        del_base: list[float] = []
        for rep in range(ctx.reps):
            ours_name = ctx.cluster(f"p{nodes}o{rep}")
            base_name = ctx.cluster(f"p{nodes}b{rep}")
            ctx.log(f"provision {nodes} node(s), repetition {rep + 1}/{ctx.reps}")
            steps = [
                (prov_ours, functools.partial(provision_ours, ctx, ours_name, nodes)),
                (prov_base, functools.partial(provision_baseline, ctx, base_name, nodes)),
            ]
            for target, fn in steps if rep % 2 == 0 else reversed(steps):
                target.append(fn())
            ctx.log(f"delete {nodes} node(s), repetition {rep + 1}/{ctx.reps}")
            deletes = [
                (del_ours, functools.partial(delete_ours, ctx, ours_name)),
                (del_base, functools.partial(delete_baseline, ctx, base_name)),
            ]
            for target, fn in deletes if rep % 2 == 0 else reversed(deletes):
                target.append(fn())
        ctx.add(
            Metric(
                "provision",
                ctx.engine.name,
                f"{nodes} node(s) up, systemd ready",
                "s",
                prov_ours,
                prov_base,
                baseline_label="CLI run + logs -f",
                goal="ratio<=1.2",
                param=nodes,
                extra={"series": "provision"},
            )
        )
        ctx.add(
            Metric(
                "delete",
                ctx.engine.name,
                f"{nodes} node(s)",
                "s",
                del_ours,
                del_base,
                baseline_label="CLI rm -f -v",
                param=nodes,
                extra={"series": "delete"},
            )
        )
