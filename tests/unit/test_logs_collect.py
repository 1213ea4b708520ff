"""``kind export logs`` against fake nodes: layout, permissions, partial failures."""

from __future__ import annotations

import io
import stat
import tarfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import pytest

from pykind.errors import ClusterNotFoundError
from pykind.logs.collect import SUMMARY_FILE, collect_logs, export_logs
from pykind.logs.untar import extract
from pykind.runtime.protocols import CommandResult
from pykind.status import RecordingStatus


def var_log_tar(files: Mapping[str, bytes], extra: Sequence[tarfile.TarInfo] = ()) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tf:
        tf.addfile(_dir("."))
        for name, data in files.items():
            info = tarfile.TarInfo("./" + name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        for info in extra:
            tf.addfile(info)
    return out.getvalue()


def _dir(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = 0o755
    return info


@dataclass
class LogNode:
    name: str
    role: str = "worker"
    cluster: str = "kind"
    stopped: bool = False
    var_log: bytes = field(
        default_factory=lambda: var_log_tar(
            {
                "pods/kube-system_etcd/etcd/0.log": b"etcd started\n",
                "containers/etcd.log": b"etcd started\n",
                "alternatives.log": b"update-alternatives\n",
            }
        )
    )
    calls: list[list[str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ip(self) -> tuple[str, str]:
        return ("", "")

    def serial_logs(self) -> bytes:
        return f"console of {self.name}\n".encode()

    def run(
        self,
        argv: Sequence[str],
        *,
        stdin: Any = None,
        env: Mapping[str, str] | None = None,
        check: bool = True,
        stdout: BinaryIO | None = None,
    ) -> CommandResult:
        argv = list(argv)
        with self.lock:
            self.calls.append(argv)
        if self.stopped:
            return CommandResult(tuple(argv), 1, b"", b"Error: container is not running")
        if argv[:2] == ["sh", "-c"] and "/var/log" in argv[2]:
            out = self.var_log
        elif argv == ["cat", "/kind/version"]:
            out = b"v1.36.1\n"
        elif argv[0] == "journalctl":
            unit = argv[-1] if "-u" in argv else "all"
            out = f"journal of {unit} on {self.name}\n".encode()
        elif argv[0] == "crictl":
            return CommandResult(tuple(argv), 127, b"", b"crictl: command not found")
        else:
            return CommandResult(tuple(argv), 1, b"", b"unknown")
        if stdout is not None:
            for i in range(0, len(out), 4096):
                stdout.write(out[i : i + 4096])
            return CommandResult(tuple(argv), 0)
        return CommandResult(tuple(argv), 0, out)


@dataclass
class LogProvider:
    name: str = "docker"
    nodes: list[LogNode] = field(default_factory=list)
    fail: bool = False

    def list_nodes(self, cluster: str) -> list[LogNode]:
        return [n for n in self.nodes if n.cluster == cluster]

    def collect_logs(self, dest: Path, nodes: Sequence[Any]) -> None:
        if self.fail:
            raise RuntimeError("engine is gone")
        (dest / "docker-info.txt").write_text("Server Version: test\n")
        for node in nodes:
            (dest / node.name / "inspect.json").write_text("[{}]")


def cluster(*names: str) -> LogProvider:
    return LogProvider(
        nodes=[LogNode(n) for n in names]
        + [LogNode("kind-external-load-balancer", role="external-load-balancer")]
    )


def test_upstream_layout(tmp_path: Path) -> None:
    p = cluster("kind-control-plane", "kind-worker")
    dest = collect_logs(p, "kind", tmp_path / "logs")
    assert dest == tmp_path / "logs"
    assert (dest / "kind-version.txt").read_text().startswith("pykind ")
    assert (dest / "docker-info.txt").is_file()
    for name in ("kind-control-plane", "kind-worker"):
        node = dest / name
        assert (node / "serial.log").read_text() == f"console of {name}\n"
        assert (node / "kubernetes-version.txt").read_text() == "v1.36.1\n"
        assert (node / "journal.log").read_text() == f"journal of all on {name}\n"
        assert (node / "kubelet.log").read_text() == f"journal of kubelet.service on {name}\n"
        assert "containerd.service" in (node / "containerd.log").read_text()
        assert (node / "pods/kube-system_etcd/etcd/0.log").read_bytes() == b"etcd started\n"
        assert (node / "containers/etcd.log").is_file()
        assert (node / "alternatives.log").is_file()
        assert (node / "inspect.json").is_file()
    assert not (dest / "kind-external-load-balancer").exists()


def test_everything_is_owner_only(tmp_path: Path) -> None:
    dest = collect_logs(cluster("kind-control-plane"), "kind", tmp_path / "logs")
    seen = 0
    for path in [dest, *dest.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), f"{path}: {oct(mode)}"
        seen += 1
    assert seen > 10


def test_default_folder_is_a_new_private_temp_dir(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    first = collect_logs(cluster("kind-control-plane"), "kind")
    second = collect_logs(cluster("kind-control-plane"), "kind")
    assert first != second
    assert first.parent == tmp_path
    assert stat.S_IMODE(first.stat().st_mode) == 0o700


def test_half_broken_cluster_collects_what_it_can(tmp_path: Path) -> None:
    p = cluster("kind-control-plane", "kind-worker")
    p.nodes[1].stopped = True
    p.fail = True
    status = RecordingStatus()
    report = export_logs(p, "kind", tmp_path / "logs", status=status)
    dest = report.path
    assert (dest / "kind-control-plane" / "journal.log").is_file()
    assert (dest / "kind-worker" / "serial.log").is_file()  # the console works when stopped
    failed = {i.what for i in report.failures}
    assert "kind-worker: journal.log" in failed
    assert "kind-worker: /var/log" in failed
    assert "docker: engine info and inspect.json" in failed
    assert "kind-control-plane: journal.log" not in failed
    summary = (dest / SUMMARY_FILE).read_text()
    assert "kind-worker: journal.log: journalctl --no-pager exited 1" in summary
    assert "engine is gone" in summary
    warnings = [m for kind, m in status.events if kind == "info"]
    assert any("kind-worker: kubelet.log" in w for w in warnings)


def test_missing_tool_is_recorded_with_its_output(tmp_path: Path) -> None:
    report = export_logs(cluster("kind-control-plane"), "kind", tmp_path)
    images = tmp_path / "kind-control-plane" / "images.log"
    assert images.read_text() == "crictl: command not found"
    assert [i.what for i in report.failures] == ["kind-control-plane: images.log"]


def test_missing_cluster(tmp_path: Path) -> None:
    with pytest.raises(ClusterNotFoundError, match="no nodes found for cluster 'nope'"):
        collect_logs(cluster("kind-control-plane"), "nope", tmp_path)


def test_unsafe_tar_entries_are_skipped(tmp_path: Path) -> None:
    link = tarfile.TarInfo("./link")
    link.type = tarfile.SYMTYPE
    link.linkname = "/etc/shadow"
    escape = tarfile.TarInfo("../escape.log")
    data = var_log_tar({"ok.log": b"fine"}, extra=[link, escape])
    dest = tmp_path / "out"
    skipped = extract(io.BytesIO(data), dest)
    assert (dest / "ok.log").read_bytes() == b"fine"
    assert not (tmp_path / "escape.log").exists()
    assert not (dest / "link").exists()
    assert set(skipped) == {"./link", "../escape.log"}


def test_broken_var_log_stream_is_reported(tmp_path: Path) -> None:
    p = cluster("kind-control-plane")
    p.nodes[0].var_log = b"this is not a tar" * 100
    report = export_logs(p, "kind", tmp_path)
    assert [i.what for i in report.failures if "var/log" in i.what] == [
        "kind-control-plane: /var/log"
    ]
    assert (tmp_path / "kind-control-plane" / "journal.log").is_file()
