"""Running and timing processes: wall time, and peak RSS from the kernel's own accounting."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass


class BenchError(RuntimeError):
    """A benchmark step failed (a command exited non-zero, a node did not boot...)."""


@dataclass(frozen=True)
class Run:
    """One finished process."""

    argv: tuple[str, ...]
    seconds: float
    returncode: int
    stdout: bytes
    stderr: bytes
    #: Peak resident set size of the process itself (``ru_maxrss`` from wait4), KiB.
    max_rss_kib: int

    def check(self) -> Run:
        if self.returncode != 0:
            tail = self.stderr.decode("utf-8", "replace").strip().splitlines()[-5:]
            raise BenchError(f"{' '.join(self.argv)} exited {self.returncode}: " + " / ".join(tail))
        return self


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    stdin_path: str | None = None,
    timeout: float = 900.0,
) -> Run:
    """Run ``argv`` to completion; time it from just before the fork to the reaping wait.

    The peak RSS comes from ``os.wait4`` (what ``/usr/bin/time -v`` reports as "Maximum
    resident set size"): the kernel's high-water mark of the process, not a sample.
    """
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL  # noqa: SIM115
    try:
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(argv),
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env) if env is not None else None,
        )
        out, err = _drain(proc, timeout)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if stdin_path:
            stdin.close()  # type: ignore[union-attr]
    return Run(tuple(argv), seconds, proc.returncode, out, err, int(usage.ru_maxrss))


def _drain(proc: subprocess.Popen[bytes], timeout: float) -> tuple[bytes, bytes]:
    """Read stdout and stderr to EOF without reaping the process (wait4 does that)."""
    chunks: dict[str, list[bytes]] = {"out": [], "err": []}

    def pump(stream: object, key: str) -> None:
        read = stream.read  # type: ignore[attr-defined]
        while True:
            data = read(65536)
            if not data:
                return
            chunks[key].append(data)

    threads = [
        threading.Thread(target=pump, args=(proc.stdout, "out"), daemon=True),
        threading.Thread(target=pump, args=(proc.stderr, "err"), daemon=True),
    ]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
        if t.is_alive():
            proc.kill()
            t.join()
            raise BenchError(f"{' '.join(map(str, proc.args))} timed out after {timeout:.0f}s")  # type: ignore[arg-type]
    return b"".join(chunks["out"]), b"".join(chunks["err"])


def check_output(argv: Sequence[str], *, timeout: float = 600.0) -> str:
    """stdout of a helper command (not timed); BenchError when it fails."""
    proc = subprocess.run(list(argv), capture_output=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-5:]
        raise BenchError(f"{' '.join(argv)} exited {proc.returncode}: " + " / ".join(tail))
    return proc.stdout.decode("utf-8", "replace")


def timed(fn: Callable[[], object]) -> float:
    """Seconds ``fn`` takes."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def parallel(tasks: Sequence[Callable[[], object]]) -> None:
    """Run ``tasks`` in threads; re-raise the first failure once all ended."""
    errors: list[BaseException] = []

    def wrap(task: Callable[[], object]) -> None:
        try:
            task()
        except BaseException as exc:  # re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=wrap, args=(t,), daemon=True) for t in tasks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def load_average() -> tuple[float, float, float]:
    try:
        return os.getloadavg()
    except OSError:
        return (0.0, 0.0, 0.0)
