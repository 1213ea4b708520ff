"""Numbers to text: summaries of repeated measurements, paired ratios and the result tables.

Pure functions only (no engines, no clocks), so the smoke test can run them on made-up data.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Summary:
    """Median and spread of one series of measurements."""

    median: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Summary | None:
        if not values:
            return None
        return cls(statistics.median(values), min(values), max(values), len(values))


@dataclass
class Metric:
    """One row of the results: pykind's samples, the baseline's (same run, same engine) and,
    where the issue gave one, a reference figure that was *not* measured in this run."""

    scenario: str
    engine: str
    case: str
    unit: str  # "s", "ms", "MiB"
    ours: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)
    baseline_label: str = ""
    #: Reference value from the issue (not measured here), in ``unit``.
    reference: float | None = None
    #: "ratio<=5", "ratio<=1.2", "ratio<1", "abs<=150", "ref<=0.8" or "" (context only).
    goal: str = ""
    #: The parameter this row scales with (N nodes, image MiB), for the scaling table.
    param: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ours_summary(self) -> Summary | None:
        return Summary.of(self.ours)

    @property
    def baseline_summary(self) -> Summary | None:
        return Summary.of(self.baseline)

    def ratios(self) -> list[float]:
        """Per-repetition ratios ours/baseline (repetitions are paired: same round)."""
        return [o / b for o, b in zip(self.ours, self.baseline, strict=False) if b > 0]

    @property
    def ratio_summary(self) -> Summary | None:
        if self.reference is not None and not self.baseline:
            return Summary.of([o / self.reference for o in self.ours]) if self.reference else None
        return Summary.of(self.ratios())

    def goal_met(self) -> bool | None:
        """Whether the goal holds on the medians (None: no goal, or nothing measured)."""
        if not self.goal or not self.ours:
            return None
        kind, _, raw = self.goal.partition("<")
        inclusive = raw.startswith("=")
        limit = float(raw.lstrip("="))
        if kind == "abs":
            value = statistics.median(self.ours)
        else:
            ratio = self.ratio_summary
            if ratio is None:
                return None
            value = ratio.median
        return value <= limit if inclusive else value < limit

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["summary"] = {
            "ours": _as_dict(self.ours_summary),
            "baseline": _as_dict(self.baseline_summary),
            "ratio": _as_dict(self.ratio_summary),
            "goal_met": self.goal_met(),
        }
        return data


def _as_dict(summary: Summary | None) -> dict[str, Any] | None:
    return asdict(summary) if summary is not None else None


# ---------------------------------------------------------------- formatting
def fmt_value(value: float, unit: str) -> str:
    """A number with just enough digits for its size."""
    if unit == "s":
        return f"{value:.2f}" if value < 10 else f"{value:.1f}"
    if unit in ("ms", "MiB"):
        return f"{value:.0f}" if value >= 100 else f"{value:.1f}"
    return f"{value:.3g}"


def fmt_summary(summary: Summary | None, unit: str, *, suffix: str = "") -> str:
    """``1.23 (1.10–1.40)`` — median and min–max; a single sample has no spread."""
    if summary is None:
        return "-"
    mid = fmt_value(summary.median, unit) + suffix
    if summary.n < 2:
        return mid
    return f"{mid} ({fmt_value(summary.low, unit)}–{fmt_value(summary.high, unit)})"


def fmt_ratio(summary: Summary | None) -> str:
    if summary is None:
        return "-"
    mid = f"{summary.median:.2f}x"
    if summary.n < 2:
        return mid
    return f"{mid} ({summary.low:.2f}–{summary.high:.2f})"


def fmt_goal(metric: Metric) -> str:
    if not metric.goal:
        return ""
    kind, _, raw = metric.goal.partition("<")
    op = "≤" if raw.startswith("=") else "<"
    limit = raw.lstrip("=")
    met = metric.goal_met()
    mark = "" if met is None else (" ✓" if met else " ✗")
    if kind == "abs":
        return f"{op} {limit} {metric.unit}{mark}"
    if kind == "ref":
        return f"{op} {limit}x ref{mark}"
    return f"{op} {limit}x{mark}"


def render_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A plain-text table (also valid Markdown)."""
    body = [list(map(str, r)) for r in rows]
    widths = [len(h) for h in headers]
    for row in body:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    out = [line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out.extend(line(r) for r in body)
    return "\n".join(out)


RESULT_HEADERS = (
    "scenario",
    "engine",
    "case",
    "pykind",
    "baseline",
    "ratio",
    "goal",
)


def result_rows(metrics: Sequence[Metric]) -> list[list[str]]:
    rows = []
    for m in metrics:
        if m.baseline:
            base = fmt_summary(m.baseline_summary, m.unit, suffix=f" {m.unit}")
            if m.baseline_label:
                base += f" [{m.baseline_label}]"
        elif m.reference is not None:
            base = f"{fmt_value(m.reference, m.unit)} {m.unit} [reference, not measured]"
        else:
            base = "-"
        case = m.case if len(m.case) <= 90 else m.case[:87] + "..."
        rows.append(
            [
                m.scenario,
                m.engine,
                case,
                fmt_summary(m.ours_summary, m.unit, suffix=f" {m.unit}"),
                base,
                fmt_ratio(m.ratio_summary) if (m.baseline or m.reference) else "-",
                fmt_goal(m),
            ]
        )
    return rows


def results_table(metrics: Sequence[Metric]) -> str:
    return render_table(RESULT_HEADERS, result_rows(metrics))


def scaling_rows(metrics: Sequence[Metric]) -> list[list[str]]:
    """Per (scenario, engine, series): how the medians grow with the parameter, relative to the
    smallest parameter value: ``N=1: 4.1 s (1.00) · N=3: 5.0 s (1.22)``."""
    groups: dict[tuple[str, str, str], list[Metric]] = {}
    for m in metrics:
        if m.param is None or not m.ours:
            continue
        series = str(m.extra.get("series", ""))
        groups.setdefault((m.scenario, m.engine, series), []).append(m)
    rows = []
    for (scenario, engine, series), members in groups.items():
        members = sorted(members, key=lambda m: m.param or 0)
        if len(members) < 2:
            continue
        label = str(members[0].extra.get("param_label", "N"))
        for who, pick in (("pykind", _ours_median), ("baseline", _base_median)):
            values = [(m.param, pick(m)) for m in members]
            if any(v is None for _, v in values):
                continue
            first = values[0][1] or 1.0
            cells = [
                f"{label}={_fmt_param(p)}: {fmt_value(v or 0, members[0].unit)} {members[0].unit}"
                f" ({(v or 0) / first:.2f})"
                for p, v in values
            ]
            rows.append([scenario, engine, series, who, " · ".join(cells)])
    return rows


def _ours_median(m: Metric) -> float | None:
    return statistics.median(m.ours) if m.ours else None


def _base_median(m: Metric) -> float | None:
    return statistics.median(m.baseline) if m.baseline else None


def _fmt_param(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


SCALING_HEADERS = ("scenario", "engine", "series", "who", "median by parameter (growth)")


def scaling_table(metrics: Sequence[Metric]) -> str:
    return render_table(SCALING_HEADERS, scaling_rows(metrics))


def paired(
    ours: Callable[[], float], baseline: Callable[[], float], reps: int, *, warmup: bool = False
) -> tuple[list[float], list[float]]:
    """Run ``ours`` and ``baseline`` ``reps`` times, alternating which goes first, so slow
    drifts in machine load hit both alike; ``warmup`` runs each once, unrecorded."""
    if warmup:
        ours()
        baseline()
    a: list[float] = []
    b: list[float] = []
    for i in range(reps):
        if i % 2 == 0:
            a.append(ours())
            b.append(baseline())
        else:
            b.append(baseline())
            a.append(ours())
    return a, b
