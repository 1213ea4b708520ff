"""The status renderers and the console (spinner) on terminals and pipes."""

from __future__ import annotations

import io
import threading
import time

import pytest

from pykind.cli.console import SPINNER_FRAMES, Console, is_smart_terminal
from pykind.cli.status import LineStatus, QuietStatus, SpinnerStatus, make_status
from pykind.status import Status, step


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def wait_for(predicate: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("condition not met")
        time.sleep(0.01)


def test_statuses_implement_the_protocol() -> None:
    console = Console(io.StringIO())
    for status in (LineStatus(console), SpinnerStatus(console), QuietStatus(console)):
        for method in ("start", "end", "info"):
            assert callable(getattr(status, method, None)), (status, method)
        typed: Status = status
        typed.start("x")
        typed.info("y")
        typed.end(True)


def test_line_status_upstream_lines() -> None:
    out = io.StringIO()
    status = LineStatus(Console(out))
    with step(status, "Preparing nodes 📦"):
        pass
    with pytest.raises(RuntimeError), step(status, "Starting control-plane 🕹️"):
        raise RuntimeError
    assert out.getvalue() == (
        " • Preparing nodes 📦  ...\n"
        " ✓ Preparing nodes 📦\n"
        " • Starting control-plane 🕹️  ...\n"
        " ✗ Starting control-plane 🕹️\n"
    )


def test_start_ends_previous_step_successfully() -> None:
    out = io.StringIO()
    status = LineStatus(Console(out))
    status.start("one")
    status.start("two")
    status.end(False)
    status.end(True)  # nothing active: ignored
    assert out.getvalue().splitlines() == [" • one  ...", " ✓ one", " • two  ...", " ✗ two"]


def test_announce_waits_for_first_event() -> None:
    out = io.StringIO()
    status = LineStatus(Console(out))
    status.announce('Creating cluster "kind" ...')
    assert out.getvalue() == ""
    status.info("hello")
    assert out.getvalue() == 'Creating cluster "kind" ...\nhello\n'
    status.flush()
    assert out.getvalue().count("Creating") == 1
    assert status.shown_infos == ["hello"]


def test_quiet_status_prints_nothing() -> None:
    out = io.StringIO()
    status = QuietStatus(Console(out))
    status.announce("x")
    with step(status, "Preparing nodes 📦"):
        status.info("note")
    status.flush()
    assert out.getvalue() == ""
    assert status.shown_infos == ["note"]


def test_close_fails_unfinished_step() -> None:
    out = io.StringIO()
    status = LineStatus(Console(out))
    status.start("Joining worker nodes 🚜")
    status.close()
    assert out.getvalue().endswith(" ✗ Joining worker nodes 🚜\n")


def test_spinner_status_on_a_terminal() -> None:
    out = FakeTTY()
    console = Console(out, smart=True)
    status = SpinnerStatus(console)
    status.start("Preparing nodes 📦")
    wait_for(lambda: out.getvalue().count("Preparing nodes") >= 2)
    status.info("a note")
    status.end(True)
    text = out.getvalue()
    first = f"\x1b[?7l\r {SPINNER_FRAMES[0]} Preparing nodes 📦 \x1b[?7h"
    assert text.startswith(first)
    assert f" {SPINNER_FRAMES[1]} Preparing nodes 📦 " in text
    assert "\r\x1b[2Ka note\n" in text
    assert text.endswith("\r\x1b[2K \x1b[32m✓\x1b[0m Preparing nodes 📦\n")
    assert console._thread is None
    assert not any(t.name == "pykind-spinner" for t in threading.enumerate())


def test_spinner_failure_mark_is_red() -> None:
    out = FakeTTY()
    status = SpinnerStatus(Console(out, smart=True))
    status.start("x")
    status.end(False)
    assert out.getvalue().endswith(" \x1b[31m✗\x1b[0m x\n")


def test_make_status_picks_renderer() -> None:
    assert isinstance(make_status(Console(io.StringIO())), LineStatus)
    assert isinstance(make_status(Console(FakeTTY(), smart=True)), SpinnerStatus)
    assert isinstance(make_status(Console(FakeTTY(), smart=True), quiet=True), QuietStatus)


def test_smart_terminal_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert is_smart_terminal(FakeTTY())
    assert not is_smart_terminal(io.StringIO())
    monkeypatch.setenv("TERM", "dumb")
    assert not is_smart_terminal(FakeTTY())
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setenv("NO_COLOR", "1")
    assert not is_smart_terminal(FakeTTY())


def test_console_survives_closed_stream() -> None:
    out = io.StringIO()
    console = Console(out)
    out.close()
    console.line("nobody listens")  # must not raise
