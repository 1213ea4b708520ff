"""The test node image boots under docker and podman and keeps its contract.

Builds (or reuses) ``pykind-test/node``, boots one privileged node container per engine the
way the node providers do, and checks systemd, containerd, an image import, and the recording
kubeadm/kubectl/kubelet/crictl stand-ins. Nothing here is a real Kubernetes cluster.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BOOT_LINE = re.compile(r"Reached target .*Multi-User System")
BOOT_WAIT_S = 180.0

KUBEADM_CONFIG = """\
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
clusterName: {cluster}
controlPlaneEndpoint: {cluster}-control-plane:6443
kubernetesVersion: v1.36.1
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
nodeRegistration:
  kubeletExtraArgs:
    - name: node-labels
      value: pykind-test=yes
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: systemd
"""


# fetch a URL inside the node without verifying TLS (the stand-in's certificate is self-signed)
FETCH = """\
import ssl, sys, urllib.request
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
print(urllib.request.urlopen(sys.argv[1], context=ctx).read().decode())
"""


def _run(argv: list[str], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(argv, input=stdin, capture_output=True, check=False, timeout=300)


class NodeContainer:
    """A booted node container and the engine it runs in."""

    def __init__(self, engine: str, name: str) -> None:
        self.engine = engine
        self.name = name

    def exec(self, *cmd: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        flags = ["-i"] if stdin is not None else []
        return _run([self.engine, "exec", *flags, self.name, *cmd], stdin)

    def check(self, *cmd: str, stdin: bytes | None = None) -> str:
        result = self.exec(*cmd, stdin=stdin)
        assert result.returncode == 0, (cmd, result.stdout, result.stderr)
        return result.stdout.decode()

    def logs(self) -> str:
        result = _run([self.engine, "logs", self.name])
        return (result.stdout + result.stderr).decode(errors="replace")

    def calls(self) -> list[dict[str, Any]]:
        text = self.check("cat", "/kind/stand-in/calls.jsonl")
        return [json.loads(line) for line in text.splitlines() if line.strip()]


def _wait_booted(node: NodeContainer) -> None:
    deadline = time.monotonic() + BOOT_WAIT_S
    while not BOOT_LINE.search(node.logs()):
        state = _run([node.engine, "inspect", "-f", "{{.State.Running}}", node.name])
        if state.stdout.strip() != b"true":
            pytest.fail(f"node container exited during boot; logs:\n{node.logs()[-3000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"node never reached multi-user.target; logs:\n{node.logs()[-3000:]}")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def node(engine_name: str, node_image: str) -> Iterator[NodeContainer]:
    name = f"pykind-imgtest-{uuid.uuid4().hex[:8]}"
    argv = [engine_name, "run", "-d", "--name", name, "--hostname", name, "--privileged"]
    argv += ["--tty", "--cgroupns=private", "--tmpfs", "/tmp", "--tmpfs", "/run", "-v", "/var"]
    argv += ["-v", "/lib/modules:/lib/modules:ro", "-e", f"container={engine_name}", node_image]
    started = _run(argv)
    assert started.returncode == 0, started.stderr.decode()
    container = NodeContainer(engine_name, name)
    try:
        _wait_booted(container)
        yield container
    finally:
        _run([engine_name, "rm", "-f", "-v", name])


def test_systemd_reaches_multi_user(node: NodeContainer) -> None:
    assert BOOT_LINE.search(node.logs())
    assert node.check("systemctl", "is-active", "multi-user.target").strip() == "active"
    assert node.check("cat", "/proc/1/comm").strip() == "systemd"
    assert "containerd" in node.check("journalctl", "--no-pager", "-u", "containerd.service")


def test_kind_layout(node: NodeContainer) -> None:
    assert node.check("cat", "/kind/version") == "v1.36.1\n"
    assert "{{ .PodSubnet }}" in node.check("cat", "/kind/manifests/default-cni.yaml")
    storage = node.check("cat", "/kind/manifests/default-storage.yaml")
    assert "name: standard" in storage
    for plugin in ("bridge", "host-local", "loopback", "portmap", "ptp"):
        node.check("test", "-x", f"/opt/cni/bin/{plugin}")


def test_containerd_answers(node: NodeContainer) -> None:
    assert "Server:" in node.check("ctr", "version")
    node.check("ctr", "--namespace=k8s.io", "images", "ls")


def _snapshotter(node: NodeContainer) -> str:
    dump = node.check("containerd", "config", "dump")
    match = re.search(r'^\s*snapshotter = "([^"]+)"', dump, re.MULTILINE)
    assert match, dump
    return match.group(1)


def test_image_import_and_crictl(node: NodeContainer) -> None:
    tag = f"pykind-test/tiny-{uuid.uuid4().hex[:8]}:1"
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "hello.txt").write_text("hello\n")
        Path(tmp, "Dockerfile").write_text("FROM scratch\nCOPY hello.txt /\n")
        built = _run([node.engine, "build", "-q", "-t", tag, tmp])
        assert built.returncode == 0, built.stderr.decode()
    try:
        archive = _run([node.engine, "save", tag])
        assert archive.returncode == 0, archive.stderr.decode()
        image_id = _run([node.engine, "image", "inspect", "-f", "{{.Id}}", tag]).stdout.decode()
        node.check(
            "ctr", "--namespace=k8s.io", "images", "import", "--all-platforms", "--digests",
            f"--snapshotter={_snapshotter(node)}", "-",
            stdin=archive.stdout,
        )  # fmt: skip
        listed = node.check("ctr", "--namespace=k8s.io", "images", "ls", "-q")
        assert tag.split("/", 1)[1] in listed
        inspected = json.loads(node.check("crictl", "inspecti", tag))
        assert inspected["status"]["id"].removeprefix("sha256:") == image_id.strip().removeprefix(
            "sha256:"
        )
        assert "tiny-" in node.check("crictl", "images")
        assert node.exec("crictl", "inspecti", "pykind-test/absent:1").returncode == 1
    finally:
        _run([node.engine, "rmi", "-f", tag])


def test_kubeadm_init_stand_in(node: NodeContainer) -> None:
    cluster = f"t-{uuid.uuid4().hex[:6]}"
    admin = "--kubeconfig=/etc/kubernetes/admin.conf"
    # before init there is no kubeconfig: kubectl fails like the real one
    assert node.exec("kubectl", admin, "get", "nodes").returncode == 1
    node.check(
        "cp",
        "/dev/stdin",
        "/kind/kubeadm.conf",
        stdin=KUBEADM_CONFIG.format(cluster=cluster).encode(),
    )
    out = node.check(
        "kubeadm", "init", "--config=/kind/kubeadm.conf", "--skip-token-print", "--v=6"
    )
    assert "STAND-IN" in out

    view = node.check("kubectl", admin, "config", "view", "--minify")
    assert f"server: https://{cluster}-control-plane:6443" in view
    assert f"current-context: kubernetes-admin@{cluster}" in view
    assert node.check("stat", "-c", "%a", "/etc/kubernetes/admin.conf").strip() == "600"

    ready = node.check(
        "kubectl", admin, "get", "nodes", "--selector=node-role.kubernetes.io/control-plane",
        "-o=jsonpath='{.items..status.conditions[-1:].status}'",
    )  # fmt: skip
    assert ready == "'True'"  # like kubectl: text around {...} is kept
    unlabeled = node.check("kubectl", admin, "label", "nodes", "--all", "pykind-test-")
    assert unlabeled.strip() == f"node/{node.name} unlabeled"
    manifest = node.check("cat", "/kind/manifests/default-storage.yaml").encode()
    applied = node.check("kubectl", admin, "apply", "-f", "-", stdin=manifest)
    assert "storageclass.storage.k8s.io/standard created" in applied
    assert node.check("kubeadm", "version", "-o", "short").strip() == "v1.36.1"

    for url in ("http://127.0.0.1:6443/", "https://127.0.0.1:6443/version"):
        body = node.check("python3", "-c", FETCH, url)
        assert json.loads(body)["node"] == node.name, url
    assert node.check("systemctl", "is-active", "kubelet.service").strip() == "active"

    calls = node.calls()
    argvs = [c["argv"] for c in calls]
    assert [
        "kubeadm",
        "init",
        "--config=/kind/kubeadm.conf",
        "--skip-token-print",
        "--v=6",
    ] in argvs
    apply = next(c for c in calls if c["argv"][1:] == [admin, "apply", "-f", "-"])
    assert apply["tool"] == "kubectl" and "kind: StorageClass" in apply["stdin"]
    kubelet = [c for c in calls if c["tool"] == "kubelet"]
    assert kubelet and "--config=/var/lib/kubelet/config.yaml" in kubelet[-1]["argv"]
    assert "--node-labels=pykind-test=yes" in kubelet[-1]["argv"]
