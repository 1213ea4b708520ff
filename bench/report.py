"""The printed report (Markdown-compatible tables) and the JSON document of a run."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.stats import Metric, render_table, results_table, scaling_table

BREAKDOWN = "create steps"


def meta_lines(meta: Mapping[str, Any]) -> list[str]:
    engines = ", ".join(f"{k} {v}" for k, v in sorted(meta.get("engines", {}).items()))
    load = meta.get("load", {})
    return [
        f"date: {meta.get('date', '?')}  commit: {meta.get('commit', '?')}",
        f"machine: {meta.get('cpus', '?')} CPUs, {meta.get('kernel', '?')}, "
        f"python {meta.get('python', '?')}; engines: {engines or '-'}",
        f"load average (1/5/15 min) at start: {_load(load.get('start'))}, "
        f"at end: {_load(load.get('end'))}",
        f"repetitions: {meta.get('reps', '?')}"
        + (" (quick)" if meta.get("quick") else "")
        + f"; CLI timings are the median of {meta.get('inner', '?')} runs per repetition",
    ]


def _load(values: Any) -> str:
    if not values:
        return "?"
    return "/".join(f"{v:.2f}" for v in values)


def breakdown_table(metrics: Sequence[Metric]) -> str:
    rows = []
    for m in metrics:
        if m.scenario != BREAKDOWN:
            continue
        total = m.ours[0] if m.ours else 0.0
        parts = " · ".join(f"{name} {secs:.2f}" for name, secs in m.extra.get("steps", ()))
        rows.append([m.engine, m.case, f"{total:.2f} s", parts])
    if not rows:
        return ""
    return render_table(["engine", "create", "total", "seconds per step"], rows)


def render(meta: Mapping[str, Any], metrics: Sequence[Metric]) -> str:
    main = [m for m in metrics if m.scenario != BREAKDOWN]
    out = ["## pykind benchmark", "", *meta_lines(meta), "", "### Results", ""]
    out.append(results_table(main))
    out += [
        "",
        "pykind and baseline: median (min–max) over the repetitions; ratio: median (min–max)"
        " of the per-repetition ratios pykind/baseline (below 1: pykind is faster).",
    ]
    scaling = scaling_table(main)
    if scaling.count("\n") > 1:
        out += ["", "### Scaling", "", scaling]
    steps = breakdown_table(metrics)
    if steps:
        out += ["", "### Where create spends its time (one in-process run each)", "", steps]
    return "\n".join(out) + "\n"


def write_json(path: Path, meta: Mapping[str, Any], metrics: Sequence[Metric]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"meta": dict(meta), "results": [m.to_json() for m in metrics]}
    path.write_text(json.dumps(doc, indent=2, sort_keys=True, default=str) + "\n")
    return path


def load_json(path: Path) -> tuple[dict[str, Any], list[Metric]]:
    """Read a results file back (``bench/run --report FILE`` re-prints it)."""
    doc = json.loads(path.read_text())
    metrics = []
    for raw in doc.get("results", []):
        raw = dict(raw)
        raw.pop("summary", None)
        metrics.append(Metric(**raw))
    return doc.get("meta", {}), metrics
