"""Scenario 3: image load throughput and the CLI's peak memory.

pykind: ``kind load docker-image IMAGE --name C`` as a process; its peak RSS comes from wait4.

Baseline: upstream's method with the engine CLI — ``<engine> save -o`` to a temporary tar,
then ``<engine> exec --privileged -i NODE ctr --namespace=k8s.io images import --all-platforms
--digests --snapshotter=S -`` reading the tar, into every node concurrently. The baseline is
given the snapshotter for free (upstream asks each node first) and skips upstream's
per-node "already present?" checks, so it is, if anything, flattered.

Before every load the image is removed from the nodes' containerd (``ctr images rm --sync``),
so both methods import every layer each time; after every load its presence is checked.
"""

from __future__ import annotations

import functools
import os
import tempfile
from dataclasses import dataclass, field
from typing import Any

from bench.context import Context
from bench.engines import LOAD_IMAGE_REPO
from bench.procs import BenchError, parallel, run, timed
from bench.provisioning import _plan
from bench.stats import Metric

SIZES_FULL = (200, 1024)
SIZES_QUICK = (50, 200)
NODE_COUNTS = (1, 3)


def _clear(ctx: Context, nodes: list[str]) -> None:
    parallel([functools.partial(ctx.engine.remove_node_images, n, LOAD_IMAGE_REPO) for n in nodes])


def _verify(ctx: Context, nodes: list[str], who: str) -> None:
    for node in nodes:
        if not ctx.engine.node_image_refs(node, LOAD_IMAGE_REPO):
            raise BenchError(f"{who}: the image is missing in {node} after loading")


def load_ours(ctx: Context, cluster: str, image: str) -> tuple[float, float]:
    """(seconds, peak RSS MiB) of ``kind load docker-image``."""
    result = run(
        [ctx.kind, "load", "docker-image", image, "--name", cluster],
        env=ctx.engine.kind_env(),
    ).check()
    return result.seconds, result.max_rss_kib / 1024


def load_baseline(ctx: Context, nodes: list[str], image: str, snapshotter: str) -> float:
    engine = ctx.engine
    import_argv = [
        "ctr",
        "--namespace=k8s.io",
        "images",
        "import",
        "--all-platforms",
        "--digests",
        f"--snapshotter={snapshotter}",
        "-",
    ]

    def go() -> None:
        with tempfile.TemporaryDirectory(prefix="pykind-bench-") as tmp:
            tar = os.path.join(tmp, "images.tar")
            run([engine.cli, "save", "-o", tar, image]).check()
            parallel(
                [
                    functools.partial(_import, engine.exec_argv(n, import_argv, stdin=True), tar)
                    for n in nodes
                ]
            )

    return timed(go)


def _import(argv: list[str], tar: str) -> None:
    run(argv, stdin_path=tar).check()


@dataclass
class _Series:
    """Samples of one (node count, image size) pair."""

    ours: list[float] = field(default_factory=list)
    base: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)


def _once_ours(ctx: Context, cluster: str, nodes: list[str], image: str, out: _Series) -> None:
    _clear(ctx, nodes)
    seconds, peak = load_ours(ctx, cluster, image)
    _verify(ctx, nodes, "pykind")
    out.ours.append(seconds)
    out.rss.append(peak)


def _once_base(ctx: Context, nodes: list[str], image: str, snapshotter: str, out: _Series) -> None:
    _clear(ctx, nodes)
    out.base.append(load_baseline(ctx, nodes, image, snapshotter))
    _verify(ctx, nodes, "baseline")


def measure(ctx: Context) -> None:
    engine = ctx.engine
    sizes = SIZES_QUICK if ctx.quick else SIZES_FULL
    images = {}
    for mib in sizes:
        ctx.log(f"image load: preparing the {mib} MiB image")
        images[mib] = engine.random_image(mib)
    for count in NODE_COUNTS:
        cluster = ctx.cluster(f"l{count}")
        ctx.log(f"image load: provisioning {count} node(s) for {cluster}")
        from pykind.status import NULL_STATUS

        provider: Any = engine.provider()
        provider.provision(_plan(cluster, engine.node_image, count), NULL_STATUS)
        try:
            nodes = sorted(n.name for n in provider.list_nodes(cluster))
            snapshotter = engine.snapshotter(nodes[0])
            rss_by_size: dict[int, list[float]] = {}
            for mib in sizes:
                image = images[mib]
                total = engine.image_size_mib(image)
                got = _Series()
                for rep in range(ctx.reps):
                    ctx.log(f"image load: {mib} MiB into {count} node(s), rep {rep + 1}")
                    pair = [
                        functools.partial(_once_ours, ctx, cluster, nodes, image, got),
                        functools.partial(_once_base, ctx, nodes, image, snapshotter, got),
                    ]
                    for fn in pair if rep % 2 == 0 else reversed(pair):
                        fn()
                ours, base, rss = got.ours, got.base, got.rss
                rss_by_size[mib] = rss
                series = f"{count} node(s)"
                ctx.add(
                    Metric(
                        "image load",
                        engine.name,
                        f"{mib} MiB random layer ({total:.0f} MiB image) → {series}",
                        "s",
                        ours,
                        base,
                        baseline_label="save -o tar + exec -i ctr import",
                        goal="ratio<1",
                        param=mib,
                        extra={"series": series, "param_label": "MiB", "image_mib": total},
                    )
                )
                ctx.add(
                    Metric(
                        "load peak RSS",
                        engine.name,
                        f"{mib} MiB → {series}",
                        "MiB",
                        rss,
                        param=mib,
                        extra={"series": series, "param_label": "MiB", "image_mib": total},
                    )
                )
            small, large = rss_by_size[sizes[0]], rss_by_size[sizes[-1]]
            ctx.add(
                Metric(
                    "load peak RSS",
                    engine.name,
                    f"growth {sizes[-1]} vs {sizes[0]} MiB → {count} node(s)",
                    "x",
                    [b / a for a, b in zip(small, large, strict=False) if a],
                    goal="abs<=1.25",
                    extra={"meaning": "peak RSS with the large image / with the small one"},
                )
            )
        finally:
            provider.delete_nodes(provider.list_nodes(cluster))
