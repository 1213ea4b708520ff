"""kubeadm-init copies the CA and key files to the other control planes with one ``tar`` read
and one ``tar`` write per node (falling back on file-by-file copies without ``tar``)."""

from __future__ import annotations

from pykind.cluster.steps import kubeadm_init
from pykind.testing.fakes import FakeNode


def _planes() -> tuple[FakeNode, list[FakeNode]]:
    first = FakeNode("c-control-plane", "control-plane", "c")
    first.run(["kubeadm", "init"])
    others = [FakeNode(f"c-control-plane{i}", "control-plane", "c") for i in (2, 3)]
    return first, others


def test_one_tar_reads_and_one_tar_per_node_writes() -> None:
    first, others = _planes()
    kubeadm_init.copy_shared_files(first, others)
    reads = first.commands("tar")
    assert len(reads) == 1
    assert reads[0][:5] == ("tar", "-C", "/", "-cf", "-")
    assert set(reads[0][5:]) == {p.lstrip("/") for p in kubeadm_init.SHARED_CONTROL_PLANE_FILES}
    for other in others:
        assert other.commands() == [("tar", "-C", "/", "-xf", "-")]
        for path in kubeadm_init.SHARED_CONTROL_PLANE_FILES:
            assert other.files[path] == first.files[path]


def test_without_tar_files_are_copied_one_by_one() -> None:
    first, others = _planes()
    first.on(["tar"], returncode=127, stderr=b"tar: not found")
    kubeadm_init.copy_shared_files(first, others)
    for other in others:
        assert not other.commands("tar")
        for path in kubeadm_init.SHARED_CONTROL_PLANE_FILES:
            assert other.files[path] == first.files[path]
            assert ("cp", "/dev/stdin", path) in other.commands("cp")


def test_a_missing_file_fails_like_before() -> None:
    first, others = _planes()
    del first.files["/etc/kubernetes/pki/sa.key"]
    try:
        kubeadm_init.copy_shared_files(first, others)
    except Exception as exc:
        assert "sa.key" in str(exc)
    else:
        raise AssertionError("copying a missing file must fail")
    assert all(not o.files for o in others)
