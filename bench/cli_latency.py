"""Scenario 1: CLI latency — ``kind --help``, ``kind version`` and ``kind get clusters`` (with
the clusters already on the engine, then with five more) against the engine CLI's own listing
with the same label filter, which is what upstream kind runs for ``get clusters``.

Each repetition's value is the median of ``ctx.inner`` invocations (single invocations are a
few tens of milliseconds: one is mostly scheduler noise on a shared machine).
"""

from __future__ import annotations

import statistics
import subprocess
from collections.abc import Mapping, Sequence

from bench.context import Context
from bench.engines import CLUSTER_LABEL, ROLE_LABEL, Engine
from bench.procs import check_output, run
from bench.stats import Metric, paired

#: Clusters (of two containers each) added for the "5 clusters" case.
EXTRA_CLUSTERS = 5


def _ms(argv: Sequence[str], env: Mapping[str, str] | None, inner: int) -> float:
    times = []
    for _ in range(inner):
        result = run(argv, env=env).check()
        times.append(result.seconds * 1000)
    return statistics.median(times)


def engine_listing(engine: Engine) -> list[str]:
    """Upstream's ``get clusters``: ``<engine> ps -a --filter label=... --format ...``."""
    template = engine.label_template(CLUSTER_LABEL)
    return [engine.cli, "ps", "-a", "--filter", f"label={CLUSTER_LABEL}", "--format", template]


def measure_help(ctx: Context) -> None:
    """``kind --help`` (engine independent) vs a bare start of the same interpreter."""
    env = ctx.engine.kind_env()
    ours, base = paired(
        lambda: _ms([ctx.kind, "--help"], env, ctx.inner),
        lambda: _ms([ctx.python, "-c", "pass"], env, ctx.inner),
        ctx.reps,
        warmup=True,
    )
    ctx.add(
        Metric(
            "cli",
            "-",
            "kind --help",
            "ms",
            ours,
            base,
            baseline_label="python -c pass",
            goal="abs<=150",
        )
    )


def measure(ctx: Context) -> None:
    engine = ctx.engine
    env = engine.kind_env()
    slow_env = engine.kind_env(PYKIND_NO_FAST_PATH="1")

    ctx.log("CLI latency: version")
    ours, base = paired(
        lambda: _ms([ctx.kind, "version"], env, ctx.inner),
        lambda: _ms([engine.cli, "--version"], None, ctx.inner),
        ctx.reps,
        warmup=True,
    )
    ctx.add(
        Metric("cli", engine.name, "kind version", "ms", ours, base, baseline_label="--version")
    )

    _get_clusters(ctx, env, slow_env, "existing")
    names = _add_clusters(ctx)
    try:
        _get_clusters(ctx, env, slow_env, f"+{EXTRA_CLUSTERS}")
    finally:
        if names:
            subprocess.run(engine.rm_argv(names), capture_output=True, check=False)


def _get_clusters(
    ctx: Context, env: Mapping[str, str], slow_env: Mapping[str, str], which: str
) -> None:
    engine = ctx.engine
    count = len(engine.cluster_names())
    ctx.log(f"CLI latency: get clusters ({which}: {count} clusters on the engine)")
    listing = engine_listing(engine)
    case = f"get clusters ({count} clusters)"
    ours, base = paired(
        lambda: _ms([ctx.kind, "get", "clusters"], env, ctx.inner),
        lambda: _ms(listing, None, ctx.inner),
        ctx.reps,
        warmup=True,
    )
    ctx.add(
        Metric(
            "cli",
            engine.name,
            case,
            "ms",
            ours,
            base,
            baseline_label="ps --filter label",
            goal="ratio<=5",
            extra={"clusters": count, "which": which},
        )
    )
    # The same without the fast path (context: what the full CLI costs).
    slow, base2 = paired(
        lambda: _ms([ctx.kind, "get", "clusters"], slow_env, max(3, ctx.inner // 2)),
        lambda: _ms(listing, None, max(3, ctx.inner // 2)),
        ctx.reps,
    )
    ctx.add(
        Metric(
            "cli",
            engine.name,
            f"{case}, full CLI (PYKIND_NO_FAST_PATH=1)",
            "ms",
            slow,
            base2,
            baseline_label="ps --filter label",
            extra={"clusters": count, "which": which},
        )
    )


def _add_clusters(ctx: Context) -> list[str]:
    """Five clusters' containers: created (never started) from the node image with the
    upstream labels, one control plane and one worker each."""
    engine = ctx.engine
    names = []
    for i in range(EXTRA_CLUSTERS):
        cluster = ctx.cluster(f"list{i}")
        for role, suffix in (("control-plane", "control-plane"), ("worker", "worker")):
            name = f"{cluster}-{suffix}"
            check_output(
                [
                    engine.cli,
                    "create",
                    "--name",
                    name,
                    "--label",
                    f"{CLUSTER_LABEL}={cluster}",
                    "--label",
                    f"{ROLE_LABEL}={role}",
                    engine.node_image,
                ]
            )
            names.append(name)
    return names
