"""Scenario 4: ``kind create cluster`` end to end on the test node image.

The node image runs stand-in Kubernetes binaries (no real control plane), with
``PYKIND_LOADBALANCER=haproxy`` and the haproxy test image for HA. There is no upstream
binary on this machine, so the comparison is with the issue's reference figures for upstream
kind on such an image (4.5 s, 8 s and 23 s): *reference numbers, not measured in this run*.

Optionally (``steps=True``) one extra in-process create per shape records how long each create
step took, to show where the time goes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bench.context import Context
from bench.procs import run
from bench.stats import Metric

#: name -> (control planes, workers, upstream reference seconds from the issue)
SHAPES: dict[str, tuple[int, int, float]] = {
    "1 node": (1, 0, 4.5),
    "1 cp + 3 workers": (1, 3, 8.0),
    "3 cp + 3 workers (HA)": (3, 3, 23.0),
}


def write_config(path: Path, control_planes: int, workers: int) -> Path:
    config = {
        "kind": "Cluster",
        "apiVersion": "kind.x-k8s.io/v1alpha4",
        "nodes": [{"role": "control-plane"}] * control_planes + [{"role": "worker"}] * workers,
    }
    path.write_text(yaml.safe_dump(config))
    return path


def _env(ctx: Context) -> dict[str, str]:
    return ctx.engine.kind_env(
        PYKIND_LOADBALANCER="haproxy", PYKIND_LOADBALANCER_IMAGE=ctx.engine.lb_image
    )


@dataclass
class StepTimes:
    """A Status that records how long each step took."""

    steps: list[tuple[str, float]] = field(default_factory=list)
    _current: tuple[str, float] | None = None

    def start(self, message: str) -> None:
        self._current = (message, time.perf_counter())

    def end(self, ok: bool) -> None:
        if self._current is not None:
            name, began = self._current
            self.steps.append((name.strip(), time.perf_counter() - began))
            self._current = None

    def info(self, message: str) -> None:
        pass


def measure(ctx: Context, *, steps: bool = True) -> None:
    engine = ctx.engine
    env = _env(ctx)
    for index, (label, (cps, workers, reference)) in enumerate(SHAPES.items()):
        config = write_config(ctx.workdir / f"{engine.prefix}-create{index}.yaml", cps, workers)
        created: list[float] = []
        deleted: list[float] = []
        for rep in range(ctx.reps):
            name = ctx.cluster(f"c{index}r{rep}")
            ctx.log(f"create {label}, repetition {rep + 1}/{ctx.reps}")
            argv = [ctx.kind, "create", "cluster", "--name", name, "--image", engine.node_image]
            created.append(run([*argv, "--config", str(config)], env=env).check().seconds)
            deleted.append(
                run([ctx.kind, "delete", "cluster", "--name", name], env=env).check().seconds
            )
        ctx.add(
            Metric(
                "create",
                engine.name,
                label,
                "s",
                created,
                reference=reference,
                goal="ref<=0.8",
                param=cps + workers,
                extra={"series": "create", "reference_note": "upstream kind, from the issue"},
            )
        )
        ctx.add(
            Metric(
                "delete",
                engine.name,
                f"kind delete cluster after create: {label}",
                "s",
                deleted,
                param=cps + workers + (1 if cps > 1 else 0),
                extra={"series": "delete after create"},
            )
        )
        if steps:
            ctx.add(_step_breakdown(ctx, label, config, index))


def _step_breakdown(ctx: Context, label: str, config: Path, index: int) -> Metric:
    """One in-process create with per-step timings (plus the time outside the steps)."""
    import os

    from pykind.cluster.manager import ClusterManager

    name = ctx.cluster(f"s{index}")
    status = StepTimes()
    env = _env(ctx)
    saved = {k: os.environ.get(k) for k in ("PYKIND_LOADBALANCER", "PYKIND_LOADBALANCER_IMAGE")}
    os.environ.update({k: env[k] for k in saved})
    manager = ClusterManager(ctx.engine.name, status=status)
    ctx.log(f"create {label}: per-step timings (in-process)")
    try:
        began = time.perf_counter()
        manager.create(
            name, config=config, image=ctx.engine.node_image, kubeconfig=env["KUBECONFIG"]
        )
        total = time.perf_counter() - began
    finally:
        manager.delete(name, kubeconfig=env["KUBECONFIG"])
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    outside = total - sum(s for _, s in status.steps)
    return Metric(
        "create steps",
        ctx.engine.name,
        label,
        "s",
        [total],
        extra={"steps": [*status.steps, ("(outside steps)", outside)]},
    )
