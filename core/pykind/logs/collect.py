"""``kind export logs``: gather a cluster's logs into a folder, as upstream lays them out.

Layout (upstream's)::

    <dir>/kind-version.txt
    <dir>/<provider>-info.txt                 (written by the provider)
    <dir>/<node>/serial.log                   container console (``docker logs``)
    <dir>/<node>/kubernetes-version.txt       /kind/version
    <dir>/<node>/journal.log                  journalctl --no-pager
    <dir>/<node>/kubelet.log                  journalctl -u kubelet.service
    <dir>/<node>/containerd.log               journalctl -u containerd.service
    <dir>/<node>/images.log                   crictl images
    <dir>/<node>/inspect.json                 (written by the provider)
    <dir>/<node>/...                          the node's /var/log tree (pods/, containers/, ...)

Beyond upstream: every node and every file is collected concurrently; a failure (a stopped
node, a missing tool) does not stop the rest and is listed in ``<dir>/summary.txt``; folders
are created 0700 and files 0600, since the logs hold credentials.
"""

from __future__ import annotations

import io
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pykind.images.nodes import internal_nodes
from pykind.logs.untar import DIR_MODE, FILE_MODE, extract, make_dir, open_private
from pykind.runtime.protocols import Node, NodeProvider
from pykind.status import NULL_STATUS, Status

log = logging.getLogger(__name__)

SUMMARY_FILE = "summary.txt"
#: Dump /var/log; tar exits 1 when a file changes while read, which is fine for logs.
_DUMP_VAR_LOG = (
    'tar --hard-dereference -C /var/log/ -chf - . || (r=$?; [ "$r" -eq 1 ] || exit "$r")'
)

#: (file name, command) collected from every node.
NODE_COMMANDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("kubernetes-version.txt", ("cat", "/kind/version")),
    ("journal.log", ("journalctl", "--no-pager")),
    ("kubelet.log", ("journalctl", "--no-pager", "-u", "kubelet.service")),
    ("containerd.log", ("journalctl", "--no-pager", "-u", "containerd.service")),
    ("images.log", ("crictl", "images")),
)


@dataclass(frozen=True)
class LogItem:
    """One collected thing: where it went and, when it failed, why."""

    what: str
    path: str
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class LogsReport:
    """Where the logs are and what could not be collected."""

    path: Path
    items: tuple[LogItem, ...]

    @property
    def failures(self) -> tuple[LogItem, ...]:
        return tuple(i for i in self.items if not i.ok)


def _pykind_version() -> str:
    try:
        from importlib.metadata import version

        return version("pykind")
    except Exception:
        return "unknown"


def _reason(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__


def _command_task(
    node: Node, folder: Path, filename: str, argv: Sequence[str]
) -> Callable[[], None]:
    def run() -> None:
        with open_private(folder / filename) as out:
            result = node.run(list(argv), stdout=out, check=False)
            if result.stdout:
                out.write(result.stdout)
            if result.stderr:
                out.write(result.stderr)
        if result.returncode != 0:
            detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
            raise RuntimeError(
                f"{' '.join(argv)} exited {result.returncode}"
                + (f": {detail[-1]}" if detail else "")
            )

    return run


def _serial_task(node: Node, folder: Path) -> Callable[[], None]:
    def run() -> None:
        data = node.serial_logs()
        with open_private(folder / "serial.log") as out:
            out.write(data)

    return run


def _var_log_task(node: Node, folder: Path) -> Callable[[], None]:
    def run() -> None:
        read_fd, write_fd = os.pipe()
        skipped: list[str] = []
        failure: list[BaseException] = []
        with os.fdopen(read_fd, "rb") as reader:

            def extract_all() -> None:
                try:
                    skipped.extend(extract(reader, folder))
                except BaseException as exc:
                    failure.append(exc)

            thread = threading.Thread(target=extract_all, name=f"pykind-logs-{node.name}")
            thread.start()
            try:
                with os.fdopen(write_fd, "wb") as writer:
                    result = node.run(["sh", "-c", _DUMP_VAR_LOG], stdout=writer, check=False)
            finally:
                thread.join()
        if result.returncode != 0:
            detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
            raise RuntimeError(
                f"dumping /var/log exited {result.returncode}"
                + (f": {detail[-1]}" if detail else "")
            )
        if failure:
            raise RuntimeError(f"unpacking /var/log: {_reason(failure[0])}")
        if skipped:
            log.debug("skipped in %s /var/log: %s", node.name, skipped)

    return run


def _fix_permissions(root: Path) -> None:
    """Owner-only for everything under ``root`` (files written by the provider too)."""
    os.chmod(root, DIR_MODE)
    for folder, dirs, files in os.walk(root):
        for d in dirs:
            path = os.path.join(folder, d)
            if not os.path.islink(path):
                os.chmod(path, DIR_MODE)
        for f in files:
            path = os.path.join(folder, f)
            if not os.path.islink(path):
                os.chmod(path, FILE_MODE)


def export_logs(
    provider: NodeProvider,
    cluster: str,
    dest: str | Path | None = None,
    *,
    status: Status = NULL_STATUS,
) -> LogsReport:
    """Collect the logs of ``cluster`` into ``dest`` (default: a new temporary folder)."""
    nodes = internal_nodes(provider, cluster)
    root = Path(tempfile.mkdtemp()) if dest is None else Path(dest)
    make_dir(root)
    with open_private(root / "kind-version.txt") as out:
        out.write(f"pykind {_pykind_version()}\n".encode())

    tasks: list[tuple[str, str, Callable[[], None]]] = []
    for node in nodes:
        folder = root / node.name
        make_dir(folder)
        tasks.append(
            (f"{node.name}: serial.log", f"{node.name}/serial.log", _serial_task(node, folder))
        )
        tasks.append((f"{node.name}: /var/log", f"{node.name}/", _var_log_task(node, folder)))
        for filename, argv in NODE_COMMANDS:
            tasks.append(
                (
                    f"{node.name}: {filename}",
                    f"{node.name}/{filename}",
                    _command_task(node, folder, filename, argv),
                )
            )

    def provider_task() -> None:
        provider.collect_logs(root, nodes)

    tasks.append((f"{provider.name}: engine info and inspect.json", ".", provider_task))

    def attempt(task: tuple[str, str, Callable[[], None]]) -> LogItem:
        what, path, fn = task
        try:
            fn()
            return LogItem(what=what, path=path)
        except Exception as exc:
            log.debug("collecting %s failed", what, exc_info=True)
            return LogItem(what=what, path=path, error=_reason(exc))

    workers = min(16, len(tasks))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pykind-logs") as pool:
        items = tuple(pool.map(attempt, tasks))

    report = LogsReport(path=root, items=items)
    _write_summary(report, cluster)
    _fix_permissions(root)
    for item in report.failures:
        status.info(f"WARNING: could not collect {item.what}: {item.error}")
    return report


def _write_summary(report: LogsReport, cluster: str) -> None:
    buf = io.StringIO()
    buf.write(f"logs of cluster {cluster!r}\n")
    buf.write(f"collected: {len(report.items) - len(report.failures)} of {len(report.items)}\n")
    if report.failures:
        buf.write("\nfailed:\n")
        for item in report.failures:
            buf.write(f"  {item.what}: {item.error}\n")
    with open_private(report.path / SUMMARY_FILE) as out:
        out.write(buf.getvalue().encode())


def collect_logs(
    provider: NodeProvider,
    cluster: str,
    dest: str | Path | None = None,
    *,
    status: Status = NULL_STATUS,
) -> Path:
    """Collect the logs of ``cluster`` (see :func:`export_logs`); return the folder."""
    return export_logs(provider, cluster, dest, status=status).path
