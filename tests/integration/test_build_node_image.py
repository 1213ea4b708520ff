"""``kind build node-image`` on real engines, from a SYNTHETIC kubernetes-server tarball.

The tarball holds stand-in scripts for kubeadm/kubelet/kubectl and tiny ``FROM scratch``
images in place of the control-plane images; the base image is the test node image. The built
image must keep the node image contract and boot as a node.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import uuid
from pathlib import Path

import pytest

from pykind.build import build_node_image
from pykind.build.node_image import host_arch
from pykind.status import RecordingStatus
from tests.images.build import build_image
from tests.integration.test_load_images import (
    ENGINES,
    kube_nodes,
    make_provider,
    node_refs,
    provisioned,
    remove_image,
    require_engine,
    scratch_image,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

VERSION = "v1.36.1-pykind.synthetic"
IMAGES = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy")


def stand_in(name: str) -> bytes:
    return f"#!/bin/sh\necho 'synthetic {name} stand-in (not Kubernetes)'\n".encode()


def synthetic_release(engine: str, folder: Path) -> Path:
    """kubernetes-server-linux-<arch>.tar.gz with stand-in binaries and tiny images."""
    arch = host_arch()
    members: dict[str, bytes] = {"kubernetes/version": VERSION.encode() + b"\n"}
    for binary in ("kubeadm", "kubelet", "kubectl"):
        members[f"kubernetes/server/bin/{binary}"] = stand_in(binary)
    tags = []
    try:
        for image in IMAGES:
            tag = f"pykind-test/{image}-{arch}:{VERSION}"
            scratch_image(engine, tag, f"synthetic {image}")
            tags.append(tag)
            saved = subprocess.run([engine, "save", tag], check=True, capture_output=True).stdout
            members[f"kubernetes/server/bin/{image}.tar"] = saved
    finally:
        remove_image(engine, *tags)
    path = folder / f"kubernetes-server-linux-{arch}.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o755
            tf.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize("engine", ENGINES)
def test_built_image_has_the_contract_and_boots(engine: str, tmp_path: Path) -> None:
    require_engine(engine)
    provider = make_provider(engine)
    base = build_image(engine, "node")
    tarball = synthetic_release(engine, tmp_path)
    image = f"pykind-test/built-node:{uuid.uuid4().hex[:8]}"
    status = RecordingStatus()
    try:
        assert (
            build_node_image(
                provider,
                kube_source=str(tarball),
                build_type="file",
                image=image,
                base_image=base,
                status=status,
            )
            == image
        )
        assert any(m == f'Image "{image}" build completed.' for _, m in status.events)
        with provisioned(provider, image) as name:
            node = kube_nodes(provider, name)[0]
            assert node.run(["cat", "/kind/version"]).text.strip() == VERSION
            for binary in ("kubeadm", "kubelet", "kubectl"):
                assert node.run(["cat", f"/usr/bin/{binary}"]).stdout == stand_in(binary)
            assert node.run(["test", "-f", "/kind/manifests/default-cni.yaml"]).returncode == 0
            refs = node_refs(node)
            listing = node.run(["ctr", "--namespace=k8s.io", "images", "ls"]).text
            for component in IMAGES:
                assert any(r.endswith(f"pykind-test/{component}:{VERSION}") for r in refs), refs
            assert not any(f"-{host_arch()}:" in r for r in refs), refs
            assert "io.cri-containerd.pinned=pinned" in listing
            assert node.run(["systemctl", "is-active", "containerd"]).text.strip() == "active"
    finally:
        remove_image(engine, image)
