"""Interoperability with the real kubectl: it reads what pykind writes, pykind keeps what kubectl
writes, and both honour the same ``<file>.lock``.

Skipped when kubectl is not on PATH, except with PYKIND_REQUIRE_KUBECTL=1 (CI), where a missing
kubectl is a failure. (On Debian: ``apt-get install kubernetes-client``.)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pykind.kubeconfig import (
    build_entries,
    get_cluster_entries,
    lock_path,
    remove_cluster,
    write_cluster,
)
from tests.unit.kubeconfig_support import ADMIN_CONF


@pytest.fixture(scope="module")
def kubectl_exe() -> str:
    exe = shutil.which("kubectl")
    if exe is None:
        if os.environ.get("PYKIND_REQUIRE_KUBECTL") == "1":
            pytest.fail("PYKIND_REQUIRE_KUBECTL=1 but kubectl is not on PATH")
        pytest.skip("kubectl is not on PATH")
    return exe


@pytest.fixture
def kubectl(kubectl_exe: str, tmp_path: Path) -> Any:
    """Run ``kubectl <args> --kubeconfig <file>`` isolated from the user's own kubeconfig."""
    home = tmp_path / "home"
    home.mkdir()
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home)}

    def run(kubeconfig: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [kubectl_exe, *args, "--kubeconfig", str(kubeconfig)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        if check and proc.returncode != 0:
            pytest.fail(f"kubectl {' '.join(args)} failed: {proc.stderr.strip()}")
        return proc

    return run


def entries(name: str, port: int = 40001) -> Any:
    return build_entries(ADMIN_CONF, name, endpoint=f"127.0.0.1:{port}")


def view(kubectl: Any, path: Path) -> Any:
    return json.loads(kubectl(path, "config", "view", "--raw", "-o", "json").stdout)


def test_kubectl_reads_merged_file(kubectl: Any, tmp_path: Path) -> None:
    path = tmp_path / "config"
    write_cluster(path, entries("one", 1))
    write_cluster(path, entries("two", 2))
    contexts = kubectl(path, "config", "get-contexts", "-o", "name").stdout.split()
    assert sorted(contexts) == ["kind-one", "kind-two"]
    assert kubectl(path, "config", "current-context").stdout.strip() == "kind-two"
    doc = view(kubectl, path)
    clusters = {c["name"]: c["cluster"] for c in doc["clusters"]}
    assert clusters["kind-one"]["server"] == "https://127.0.0.1:1"
    assert clusters["kind-two"]["certificate-authority-data"] == "Q0EK"
    users = {u["name"]: u["user"] for u in doc["users"]}
    assert users["kind-one"]["client-key-data"] == "S0VZCg=="


def test_kubectl_reads_get_kubeconfig_output(kubectl: Any, tmp_path: Path) -> None:
    path = tmp_path / "standalone"
    path.write_text(get_cluster_entries(ADMIN_CONF, "dev", endpoint="[::1]:6443"))
    minified = json.loads(kubectl(path, "config", "view", "--minify", "--raw", "-o", "json").stdout)
    assert minified["clusters"][0]["cluster"]["server"] == "https://[::1]:6443"
    assert minified["contexts"][0]["name"] == "kind-dev"


def test_entries_written_by_kubectl_survive(kubectl: Any, tmp_path: Path) -> None:
    path = tmp_path / "config"
    kubectl(path, "config", "set-cluster", "other", "--server=https://10.1.2.3:6443")
    kubectl(path, "config", "set-credentials", "other-user", "--token=secret")
    kubectl(path, "config", "set-context", "other", "--cluster=other", "--user=other-user")
    kubectl(path, "config", "use-context", "other")
    before = view(kubectl, path)
    write_cluster(path, entries("dev"))
    assert kubectl(path, "config", "current-context").stdout.strip() == "kind-dev"
    assert remove_cluster(path, "dev") is True
    after = view(kubectl, path)
    for key in ("clusters", "users", "contexts"):
        assert after[key] == before[key]
    # upstream unsets a current context that pointed to the removed cluster
    proc = kubectl(path, "config", "current-context", check=False)
    assert proc.returncode != 0 and "not set" in proc.stderr


def test_kubectl_honours_pykinds_lock(kubectl: Any, tmp_path: Path) -> None:
    path = tmp_path / "config"
    write_cluster(path, entries("dev"))
    lock_path(path).write_text("")
    proc = kubectl(path, "config", "set-context", "blocked", "--cluster=kind-dev", check=False)
    assert proc.returncode != 0
    assert "lock" in proc.stderr
    lock_path(path).unlink()
    kubectl(path, "config", "set-context", "unblocked", "--cluster=kind-dev")
    assert "unblocked" in kubectl(path, "config", "get-contexts", "-o", "name").stdout.split()


def test_kubectl_mode_and_pykind_mode_agree(kubectl: Any, tmp_path: Path) -> None:
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    write_cluster(ours, entries("dev"))
    kubectl(theirs, "config", "set-cluster", "x", "--server=https://1.1.1.1")
    assert (ours.stat().st_mode & 0o777) == (theirs.stat().st_mode & 0o777) == 0o600
