"""write_file: one ``cp`` when the folder exists; ``mkdir -p`` and a second ``cp`` otherwise."""

from __future__ import annotations

import pytest

from pykind.cluster.nodes import write_file
from pykind.errors import NodeCommandError
from pykind.testing.fakes import FakeNode, RecordedCall


def test_existing_folder_takes_one_command() -> None:
    node = FakeNode("n", "worker", "c")
    write_file(node, "/kind/kubeadm.conf", "text")
    assert node.commands() == [("cp", "/dev/stdin", "/kind/kubeadm.conf")]
    assert node.text("/kind/kubeadm.conf") == "text"


def test_missing_folder_is_created_then_written() -> None:
    node = FakeNode("n", "worker", "c")
    folders: set[str] = set()

    def mkdir(n: FakeNode, call: RecordedCall) -> None:
        folders.add(call.argv[-1])

    def cp(n: FakeNode, call: RecordedCall) -> tuple[int, bytes, bytes] | None:
        if "/etc/new" not in folders:
            return (1, b"", b"cp: cannot create regular file: No such file or directory\n")
        n.files[call.argv[2]] = call.stdin or b""
        return None

    node.on(["mkdir"], mkdir)
    node.on(["cp", "/dev/stdin"], cp)
    write_file(node, "/etc/new/file.conf", b"data")
    assert node.commands() == [
        ("cp", "/dev/stdin", "/etc/new/file.conf"),
        ("mkdir", "-p", "/etc/new"),
        ("cp", "/dev/stdin", "/etc/new/file.conf"),
    ]
    assert node.files["/etc/new/file.conf"] == b"data"


def test_a_failure_after_mkdir_is_raised() -> None:
    node = FakeNode("n", "worker", "c")
    node.on(["cp", "/dev/stdin"], returncode=1, stderr=b"cp: read-only file system")
    with pytest.raises(NodeCommandError):
        write_file(node, "/ro/file", "x")
    assert node.commands("mkdir") == [("mkdir", "-p", "/ro")]
