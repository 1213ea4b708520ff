"""Step ``wait-ready``: with ``--wait``, poll until every control plane is Ready (upstream's
``waitforready`` action). A timeout is a warning, not an error, as upstream."""

from __future__ import annotations

import time
from collections.abc import Callable

from pykind.cluster.context import StepContext
from pykind.cluster.nodes import (
    KUBECTL_ADMIN,
    bootstrap_control_plane,
    kube_version,
    parse_version,
)
from pykind.plugin.types import CreateStep, Phase
from pykind.runtime.protocols import Node

#: Seconds between two polls.
POLL_INTERVAL = 1.0
#: Clock and sleep, replaceable in tests.
monotonic: Callable[[], float] = time.monotonic
sleep: Callable[[float], None] = time.sleep


def go_duration(seconds: float) -> str:
    """``seconds`` rounded to a second, formatted like Go's ``time.Duration`` (``1m0s``)."""
    total = int(seconds + 0.5)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"


def selector_label(version: str) -> str:
    if parse_version(version) < (1, 24, 0):
        return "node-role.kubernetes.io/master"
    return "node-role.kubernetes.io/control-plane"


def ready_argv(selector: str) -> list[str]:
    return [
        "kubectl",
        "--request-timeout=1s",
        KUBECTL_ADMIN,
        "get",
        "nodes",
        f"--selector={selector}",
        # the last condition is Ready; prints e.g. 'True True True'
        "-o=jsonpath='{.items..status.conditions[-1:].status}'",
    ]


def control_planes_ready(node: Node, selector: str) -> bool:
    result = node.run(ready_argv(selector), check=False)
    if result.returncode != 0:
        return False
    lines = result.text.splitlines()
    statuses = lines[0].split() if lines else []
    return bool(statuses) and all("True" in s for s in statuses)


def run(ctx: StepContext) -> None:
    if ctx.wait <= 0:
        return
    ctx.status.start(f"Waiting ≤ {go_duration(ctx.wait)} for control-plane = Ready ⏳")
    ok = False
    try:
        node = bootstrap_control_plane(ctx.nodes())
        selector = selector_label(kube_version(node))
        started = monotonic()
        deadline = started + ctx.wait
        while True:
            if control_planes_ready(node, selector):
                ok = True
                break
            if monotonic() >= deadline:
                break
            sleep(min(POLL_INTERVAL, max(0.0, deadline - monotonic())))
    finally:
        ctx.status.end(ok)
    if ok:
        ctx.status.info(f" • Ready after {go_duration(monotonic() - started)} 💚")
    else:
        ctx.warn("timed out waiting for the control-plane nodes to be Ready")


STEP = CreateStep(
    name="wait-ready",
    phase=Phase.WAIT_READY,
    run=run,
    description="with --wait: wait until the control planes are Ready",
)
