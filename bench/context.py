"""What every scenario gets: the engine, repetition counts, the ``kind`` executable, a log."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.engines import Engine
from bench.stats import Metric


@dataclass
class Context:
    engine: Engine
    reps: int
    quick: bool
    kind: str
    python: str
    #: Invocations per repetition for the millisecond-scale CLI timings.
    inner: int = 10
    metrics: list[Metric] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    workdir: Path = field(default_factory=lambda: Path("/tmp"))

    def log(self, message: str) -> None:
        stamp = time.strftime("%H:%M:%S")
        print(f"[{stamp}] {self.engine.name}: {message}", file=sys.stderr, flush=True)

    def add(self, metric: Metric) -> Metric:
        self.metrics.append(metric)
        return metric

    def cluster(self, tag: str) -> str:
        """A cluster name unique to this run (``<prefix>-<tag>``)."""
        return f"{self.engine.prefix}-{tag}"
