"""JSON Lines progress events."""

from __future__ import annotations

import io
import itertools
import json
import threading
from pathlib import Path

import pytest

from pykind.events import JsonEventsStatus, parse_events
from pykind.status import step
from pykind.testing.fakes import FakeProvider
from tests.unit.lifecycle_support import manager_for


def fixed_status(stream: io.StringIO) -> JsonEventsStatus:
    ticks = itertools.count()
    return JsonEventsStatus(
        stream, clock=lambda: "2025-01-01T00:00:00.000000Z", monotonic=lambda: float(next(ticks))
    )


def test_one_json_object_per_line_with_nested_steps() -> None:
    out = io.StringIO()
    status = fixed_status(out)
    with step(status, "Preparing nodes 📦"):
        status.info("WARNING: something")
        with step(status, "inner"):
            pass
    with pytest.raises(RuntimeError), step(status, "Starting control-plane 🕹️"):
        raise RuntimeError("boom")

    lines = out.getvalue().splitlines()
    assert all(json.loads(line) for line in lines)
    events = parse_events(out.getvalue())
    assert [(e["event"], e["message"], e.get("ok")) for e in events] == [
        ("start", "Preparing nodes 📦", None),
        ("info", "WARNING: something", None),
        ("start", "inner", None),
        ("end", "inner", True),
        ("end", "Preparing nodes 📦", True),
        ("start", "Starting control-plane 🕹️", None),
        ("end", "Starting control-plane 🕹️", False),
    ]
    assert events[3]["elapsed"] == 1.0
    assert {e["time"] for e in events} == {"2025-01-01T00:00:00.000000Z"}
    assert "📦" in lines[0]  # not escaped


def test_an_end_without_a_start_is_still_reported() -> None:
    out = io.StringIO()
    fixed_status(out).end(False)
    assert parse_events(out.getvalue()) == [
        {
            "event": "end",
            "message": None,
            "ok": False,
            "elapsed": 0.0,
            "time": "2025-01-01T00:00:00.000000Z",
        }
    ]


def test_real_timestamps_are_utc_rfc3339() -> None:
    out = io.StringIO()
    JsonEventsStatus(out).info("hello")
    stamp = parse_events(out.getvalue())[0]["time"]
    assert stamp.endswith("Z") and stamp[10] == "T"


def test_lines_never_interleave_across_threads() -> None:
    out = io.StringIO()
    status = JsonEventsStatus(out)

    def chatter(n: int) -> None:
        for i in range(200):
            status.info(f"thread {n} line {i}")

    threads = [threading.Thread(target=chatter, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(parse_events(out.getvalue())) == 800


def test_a_create_reports_every_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "kubeconfig"))
    out = io.StringIO()
    manager = manager_for(FakeProvider())
    manager.status = JsonEventsStatus(out)
    manager.create("events")
    events = parse_events(out.getvalue())
    starts = [e["message"] for e in events if e["event"] == "start"]
    ends = [e for e in events if e["event"] == "end"]
    assert "Starting control-plane 🕹️" in starts
    assert len(starts) == len(ends) and all(e["ok"] for e in ends)
