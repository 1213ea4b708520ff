"""Support for the fault and concurrency tests: a fault-injection plugin and a way to run the
real ``kind`` command line with it installed.

The plugin is an ordinary ``pykind`` entry point. :func:`plugin_site` writes a tiny
``*.dist-info`` folder declaring it; with that folder on ``PYTHONPATH`` a ``kind`` subprocess
loads the plugin like any third-party one. It is driven by environment variables:

``PYKIND_FAULT_DIR``
    Folder for the markers below (required for holds).
``PYKIND_FAULT_HOLD``
    Comma-separated phase names (``IMAGES``, ``KUBEADM_CONFIG``, ...): a step in each phase
    (after the built-in steps of that phase) writes ``<dir>/reached.<PHASE>.<pid>`` and then
    blocks until ``<dir>/release.<PHASE>`` (or ``<dir>/release.<PHASE>.<pid>``, to release
    one run only) exists. Tests signal or race at that exact point.
``PYKIND_FAULT_FAIL``
    A phase name: a step there raises ``RuntimeError("injected failure in <PHASE>")``.
``PYKIND_FAULT_BOOT_TIMEOUT``
    Seconds the engine provider waits for a node to boot (the shared test machine is slow).
``PYKIND_FAULT_RECORD``
    A file: just before a cluster is deleted, the engine volumes its containers mount are
    appended to it (JSON lines), so tests can prove they are gone afterwards.

No test functions live here; pytest collects nothing from this module.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pykind.cluster.context import StepContext
from pykind.plugin import hookimpl
from pykind.plugin.types import CreateStep, Phase
from pykind.runtime.protocols import Node

REPO_ROOT = Path(__file__).resolve().parents[2]
ENTRY_POINT_NAME = "pykind-fault-injection"
#: Seconds a hold waits for its release file before failing the create.
HOLD_LIMIT = 600.0
#: Seconds tests wait for a subprocess to reach a point or to finish.
PROCESS_LIMIT = 420.0


# ---------------------------------------------------------------- the plugin
def _hold(phase: str) -> None:
    folder = Path(os.environ["PYKIND_FAULT_DIR"])
    (folder / f"reached.{phase}.{os.getpid()}").write_text(str(time.time()))
    releases = (folder / f"release.{phase}", folder / f"release.{phase}.{os.getpid()}")
    deadline = time.monotonic() + HOLD_LIMIT
    while not any(r.exists() for r in releases):
        if time.monotonic() > deadline:
            raise RuntimeError(f"fault plugin: nobody released the hold in {phase}")
        time.sleep(0.1)


def _hold_step(phase: str) -> CreateStep:
    def run(ctx: StepContext) -> None:
        _hold(phase)

    return CreateStep(name=f"fault-hold-{phase.lower()}", phase=Phase[phase], run=run)


def _fail_step(phase: str) -> CreateStep:
    def run(ctx: StepContext) -> None:
        raise RuntimeError(f"injected failure in {phase}")

    return CreateStep(name=f"fault-fail-{phase.lower()}", phase=Phase[phase], run=run)


def _tune(ctx: StepContext) -> None:
    timeout = os.environ.get("PYKIND_FAULT_BOOT_TIMEOUT")
    if timeout and hasattr(ctx.provider, "boot_timeout"):
        ctx.provider.boot_timeout = float(timeout)


def _names(var: str) -> list[str]:
    return [p.strip().upper() for p in os.environ.get(var, "").split(",") if p.strip()]


def volumes_of(node: Node) -> list[str]:
    """Names of the engine volumes mounted into ``node`` (its anonymous ``/var`` volume)."""
    provider = getattr(node, "_provider", None)
    if provider is None:
        return []
    attrs = dict(provider.client.containers.get(node.name).attrs)
    return sorted(str(m["Name"]) for m in attrs.get("Mounts") or () if m.get("Type") == "volume")


@hookimpl
def pykind_create_steps() -> Iterator[CreateStep]:
    yield CreateStep(name="fault-tuning", phase=Phase.PREFLIGHT, run=_tune)
    for phase in _names("PYKIND_FAULT_HOLD"):
        yield _hold_step(phase)
    for phase in _names("PYKIND_FAULT_FAIL"):
        yield _fail_step(phase)


@hookimpl
def pykind_cluster_deleting(name: str, nodes: Sequence[Node]) -> None:
    record = os.environ.get("PYKIND_FAULT_RECORD")
    if not record:
        return
    with open(record, "a", encoding="utf-8") as handle:
        for node in nodes:
            entry = {"cluster": name, "node": node.name, "volumes": volumes_of(node)}
            handle.write(json.dumps(entry) + "\n")


# ---------------------------------------------------------------- running kind
def plugin_site(folder: Path) -> Path:
    """Write a ``dist-info`` declaring this module as a ``pykind`` entry point; put the
    returned folder on ``PYTHONPATH`` to install the plugin in a subprocess."""
    info = folder / "pykind_fault_injection-0.0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: pykind-fault-injection\nVersion: 0.0\n"
    )
    (info / "entry_points.txt").write_text(
        f"[pykind]\n{ENTRY_POINT_NAME} = tests.integration.test_faults_plugin\n"
    )
    return folder


def kind_env(engine: str, site: Path, kubeconfig: Path, **extra: str) -> dict[str, str]:
    """The environment of a ``kind`` subprocess: this engine, this kubeconfig, the plugin."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIND_", "PYKIND_"))}
    env.update(
        KIND_EXPERIMENTAL_PROVIDER=engine,
        KUBECONFIG=str(kubeconfig),
        PYTHONPATH=os.pathsep.join([str(site), str(REPO_ROOT)]),
        PYKIND_FAULT_BOOT_TIMEOUT="180",
        NO_COLOR="1",
    )
    env.update(extra)
    return env


@dataclass
class Kind:
    """A running ``kind`` subprocess; its output goes to files (no pipe can fill up)."""

    proc: subprocess.Popen[bytes]
    stdout_path: Path
    stderr_path: Path

    @classmethod
    def start(cls, args: Sequence[str], env: dict[str, str], logs: Path) -> Kind:
        logs.mkdir(parents=True, exist_ok=True)
        out, err = logs / "stdout", logs / "stderr"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            proc = subprocess.Popen(
                [sys.executable, "-m", "pykind.cli", *args],
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                env=env,
                cwd=REPO_ROOT,
            )
        return cls(proc, out, err)

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    def wait_for_stderr(self, text: str, timeout: float = PROCESS_LIMIT) -> None:
        """Poll until ``text`` appears on stderr (AssertionError if the process ends first)."""
        deadline = time.monotonic() + timeout
        while text not in self.stderr:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"kind exited ({self.proc.returncode}) before printing {text!r}:\n"
                    + self.stderr
                )
            if time.monotonic() > deadline:
                raise AssertionError(f"kind did not print {text!r}:\n{self.stderr}")
            time.sleep(0.1)

    def signal(self, sig: signal.Signals) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float = PROCESS_LIMIT) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(
                f"kind did not finish within {timeout:g}s:\n{self.stderr}"
            ) from None

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def wait_for_file(pattern: str, folder: Path, count: int = 1, procs: Sequence[Kind] = ()) -> None:
    """Poll until ``count`` files matching ``pattern`` exist in ``folder``; fail early when one
    of ``procs`` exits meanwhile."""
    deadline = time.monotonic() + PROCESS_LIMIT
    while len(list(folder.glob(pattern))) < count:
        for p in procs:
            if p.proc.poll() is not None:
                raise AssertionError(
                    f"kind exited ({p.proc.returncode}) before reaching {pattern}:\n{p.stderr}"
                )
        if time.monotonic() > deadline:
            raise AssertionError(f"no {pattern} in {folder} after {PROCESS_LIMIT:g}s")
        time.sleep(0.1)


def release(folder: Path, phase: str, pid: int | None = None) -> None:
    """Release the runs held in ``phase`` (only process ``pid`` when given)."""
    suffix = f".{pid}" if pid is not None else ""
    (folder / f"release.{phase.upper()}{suffix}").write_text("go")


def engine_volumes(provider: Any) -> set[str]:
    """Names of all volumes the engine has now."""
    if provider.name == "docker":
        return {v["Name"] for v in provider.client.api.volumes().get("Volumes") or ()}
    return {v.name for v in provider.client.volumes.list()}


def recorded_volumes(record: Path) -> set[str]:
    if not record.exists():
        return set()
    found: set[str] = set()
    for line in record.read_text().splitlines():
        if line.strip():
            found.update(json.loads(line)["volumes"])
    return found
