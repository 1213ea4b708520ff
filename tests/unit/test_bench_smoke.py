"""The benchmark harness imports, and its tables and ratios come out right on made-up numbers.

No timing is measured or asserted here: the benchmarks themselves run with ``bench/run``.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from bench import report, stats
from bench.stats import Metric

MODULES = (
    "bench.main",
    "bench.stats",
    "bench.procs",
    "bench.engines",
    "bench.context",
    "bench.report",
    "bench.cli_latency",
    "bench.provisioning",
    "bench.image_load",
    "bench.create_e2e",
    "bench.profile",
)


@pytest.mark.parametrize("name", MODULES)
def test_bench_modules_import(name: str) -> None:
    importlib.import_module(name)


def metrics() -> list[Metric]:
    return [
        Metric("cli", "docker", "get clusters", "ms", [60, 50, 55], [20, 10, 10], goal="ratio<=5"),
        Metric("cli", "-", "kind --help", "ms", [120, 160, 130], [15, 15, 15], goal="abs<=150"),
        Metric(
            "provision", "docker", "1 node", "s", [2.0], [2.0], goal="ratio<=1.2", param=1,
            extra={"series": "provision"},
        ),
        Metric(
            "provision", "docker", "3 nodes", "s", [3.0], [2.0], goal="ratio<=1.2", param=3,
            extra={"series": "provision"},
        ),
        Metric("create", "podman", "1 node", "s", [3.0, 4.0], reference=4.5, goal="ref<=0.8"),
        Metric(
            "create steps", "podman", "1 node", "s", [3.0],
            extra={"steps": [("Preparing nodes 📦", 2.0), ("(outside steps)", 1.0)]},
        ),
    ]  # fmt: skip


def test_summary_and_paired_ratios() -> None:
    m = metrics()[0]
    assert m.ours_summary == stats.Summary(55, 50, 60, 3)
    assert m.ratios() == [3.0, 5.0, 5.5]
    assert m.ratio_summary == stats.Summary(5.0, 3.0, 5.5, 3)
    assert m.goal_met() is True
    assert stats.Summary.of([]) is None


def test_goals() -> None:
    by_case = {(m.scenario, m.case): m for m in metrics()}
    assert by_case[("cli", "kind --help")].goal_met() is True  # median 130 <= 150
    assert by_case[("provision", "3 nodes")].goal_met() is False  # 1.5x > 1.2x
    create = by_case[("create", "1 node")]
    ratio = create.ratio_summary
    assert ratio is not None
    assert (ratio.median, ratio.low, ratio.high, ratio.n) == pytest.approx(
        (3.5 / 4.5, 3 / 4.5, 4 / 4.5, 2)
    )
    assert create.goal_met() is True  # 0.78 <= 0.8
    assert Metric("x", "e", "c", "s", [1.0]).goal_met() is None
    assert Metric("x", "e", "c", "s", [2.0], [2.0], goal="ratio<1").goal_met() is False


def test_formatting() -> None:
    assert stats.fmt_value(1.234, "s") == "1.23"
    assert stats.fmt_value(12.34, "s") == "12.3"
    assert stats.fmt_value(123.4, "ms") == "123"
    assert stats.fmt_value(12.34, "ms") == "12.3"
    assert stats.fmt_summary(stats.Summary(1, 0.5, 2, 3), "s") == "1.00 (0.50–2.00)"
    assert stats.fmt_summary(stats.Summary(1, 1, 1, 1), "s") == "1.00"
    assert stats.fmt_ratio(stats.Summary(1.5, 1.25, 2, 2)) == "1.50x (1.25–2.00)"
    assert stats.fmt_ratio(None) == "-"


def test_tables() -> None:
    ms = metrics()
    table = stats.results_table(ms)
    lines = table.splitlines()
    assert lines[0].startswith("| scenario")
    assert len({len(line) for line in lines}) == 1  # aligned
    assert "55.0 ms (50.0–60.0)" in table
    assert "5.00x (3.00–5.50)" in table
    assert "≤ 5x ✓" in table
    assert "≤ 1.2x ✗" in table
    assert "[reference, not measured]" in table
    scaling = stats.scaling_table(ms)
    assert "N=1: 2.00 s (1.00) · N=3: 3.00 s (1.50)" in scaling
    assert "N=1: 2.00 s (1.00) · N=3: 2.00 s (1.00)" in scaling  # the baseline row


def test_report_round_trip(tmp_path: Path) -> None:
    meta = {"date": "2030-01-01 00:00 UTC", "cpus": 2, "engines": {"docker": "1.0"}}
    path = report.write_json(tmp_path / "r.json", meta, metrics())
    again_meta, again = report.load_json(path)
    assert again_meta == meta
    assert [m.ours for m in again] == [m.ours for m in metrics()]
    text = report.render(again_meta, again)
    assert "2 CPUs" in text
    assert "Preparing nodes 📦 2.00 · (outside steps) 1.00" in text
    assert "| create steps" not in text  # the breakdown has its own table


def test_paired_alternates_order() -> None:
    calls: list[str] = []

    def ours() -> float:
        calls.append("o")
        return 1.0

    def base() -> float:
        calls.append("b")
        return 2.0

    a, b = stats.paired(ours, base, 3, warmup=True)
    assert (a, b) == ([1.0] * 3, [2.0] * 3)
    assert "".join(calls) == "ob" + "ob" + "bo" + "ob"
