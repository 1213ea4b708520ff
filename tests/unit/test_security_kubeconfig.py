"""The user's kubeconfig is never lost: a write killed at any point leaves the old file or the
new one (never half of one), other entries intact, the file's mode kept (0600 when new), and
nothing readable by others. Each case runs the real write in a child process that SIGKILLs
itself at one point of the write (a crash, power loss or ``kill -9``).
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from pykind import kubeconfig as kc

REPO_ROOT = Path(__file__).resolve().parents[2]

OLD = {
    "apiVersion": "v1",
    "kind": "Config",
    "clusters": [
        {"name": "mine", "cluster": {"server": "https://example.invalid:6443"}},
        {"name": "kind-old", "cluster": {"server": "https://127.0.0.1:1111"}},
    ],
    "users": [
        {"name": "mine", "user": {"token": "keep-me"}},
        {"name": "kind-old", "user": {"token": "old-token"}},
    ],
    "contexts": [
        {"name": "mine", "context": {"cluster": "mine", "user": "mine"}},
        {"name": "kind-old", "context": {"cluster": "kind-old", "user": "kind-old"}},
    ],
    "current-context": "mine",
    "preferences": {"colors": True},
}

ADMIN_CONF = textwrap.dedent(
    """\
    apiVersion: v1
    kind: Config
    clusters:
    - name: kubernetes
      cluster:
        certificate-authority-data: Q0EK
        server: https://new-control-plane:6443
    users:
    - name: kubernetes-admin
      user:
        client-certificate-data: Q0VSVAo=
        client-key-data: S0VZCg==
    contexts:
    - name: kubernetes-admin@kubernetes
      context:
        cluster: kubernetes
        user: kubernetes-admin
    current-context: kubernetes-admin@kubernetes
    """
)

#: The child: arm one crash point, then merge cluster "new" into the file.
CHILD = textwrap.dedent(
    """\
    import os, signal, sys, tempfile
    from pykind import kubeconfig as kc
    from pykind.kubeconfig import merge

    path, point, admin = sys.argv[1], sys.argv[2], sys.stdin.read()

    def die(*_args, **_kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    if point == "lock":
        real_open = os.open
        def os_open(file, flags, *args, **kwargs):
            fd = real_open(file, flags, *args, **kwargs)
            if str(file).endswith(".lock"):
                die()
            return fd
        os.open = os_open
    elif point == "mkstemp":
        real_mkstemp = tempfile.mkstemp
        def mkstemp(*args, **kwargs):
            real_mkstemp(*args, **kwargs)
            die()
        tempfile.mkstemp = mkstemp
    elif point == "half-written":
        real_fdopen = os.fdopen
        class Half:
            def __init__(self, handle):
                self.handle = handle
            def __enter__(self):
                return self
            def __exit__(self, *exc):
                return False
            def write(self, text):
                self.handle.write(text[: len(text) // 2])
                self.handle.flush()
                die()
        os.fdopen = lambda fd, *a, **k: Half(real_fdopen(fd, *a, **k))
    elif point == "fsync":
        os.fsync = die
    elif point == "chmod":
        os.chmod = die
    elif point == "before-replace":
        merge.before_replace = die
    elif point == "after-replace":
        real_replace = os.replace
        def replace(src, dst):
            real_replace(src, dst)
            die()
        os.replace = replace
    elif point != "none":
        raise SystemExit(f"unknown point {point}")

    entries = kc.build_entries(admin, "new", endpoint="127.0.0.1:2222")
    kc.write_cluster(path, entries)
    print("finished")
    """
)

POINTS = [
    "lock",
    "mkstemp",
    "half-written",
    "fsync",
    "chmod",
    "before-replace",
    "after-replace",
]


def write_killed_at(path: Path, point: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CHILD, str(path), point],
        input=ADMIN_CONF,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
        check=False,
    )


def names(doc: dict[str, object], key: str) -> list[str]:
    return [e["name"] for e in doc.get(key) or ()]  # type: ignore[attr-defined]


def assert_old(doc: dict[str, object]) -> None:
    assert doc == OLD


def assert_new(doc: dict[str, object]) -> None:
    assert names(doc, "contexts") == ["mine", "kind-old", "kind-new"]
    assert doc["current-context"] == "kind-new"
    assert doc["preferences"] == {"colors": True}
    users = {u["name"]: u["user"] for u in doc["users"]}  # type: ignore[attr-defined]
    assert users["mine"] == {"token": "keep-me"}
    assert users["kind-old"] == {"token": "old-token"}
    assert users["kind-new"]["client-key-data"] == "S0VZCg=="


def leftovers(folder: Path, path: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p != path]


@pytest.mark.parametrize("point", POINTS)
def test_existing_file_is_old_or_new_after_a_kill(tmp_path: Path, point: str) -> None:
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(OLD))
    path.chmod(0o640)
    proc = write_killed_at(path, point)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert "finished" not in proc.stdout

    doc = yaml.safe_load(path.read_text())
    if point == "after-replace":
        assert_new(doc)
    else:
        assert_old(doc)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    # a temporary copy may stay behind: it never has more permissions than the file
    for extra in leftovers(tmp_path, path):
        assert stat.S_IMODE(extra.stat().st_mode) & 0o037 == 0, extra


@pytest.mark.parametrize("point", POINTS)
def test_new_file_is_absent_or_complete_and_private_after_a_kill(
    tmp_path: Path, point: str
) -> None:
    path = tmp_path / "config"
    proc = write_killed_at(path, point)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    if point == "after-replace":
        doc = yaml.safe_load(path.read_text())
        assert names(doc, "contexts") == ["kind-new"]
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    else:
        assert not path.exists()
    for extra in leftovers(tmp_path, path):
        assert stat.S_IMODE(extra.stat().st_mode) == 0o600, extra


def test_completed_write_keeps_mode_and_others(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(OLD))
    path.chmod(0o640)
    proc = write_killed_at(path, "none")
    assert proc.returncode == 0, proc.stderr
    assert_new(yaml.safe_load(path.read_text()))
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert leftovers(tmp_path, path) == []


def test_new_file_and_folder_modes_ignore_a_lax_umask(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "config"
    old = os.umask(0)
    try:
        kc.write_cluster(path, kc.build_entries(ADMIN_CONF, "new", endpoint="127.0.0.1:2222"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # upstream creates the folder 0755 (it holds nothing secret by itself)
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o022 == 0


def test_stale_lock_after_a_kill_is_a_clear_error_then_recoverable(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(OLD))
    proc = write_killed_at(path, "before-replace")
    assert proc.returncode == -signal.SIGKILL
    lock = kc.lock_path(path)
    assert lock.exists()  # client-go's lock protocol: a killed writer leaves its lock
    entries = kc.build_entries(ADMIN_CONF, "new", endpoint="127.0.0.1:2222")
    with pytest.raises(kc.KubeconfigLockError) as info:
        kc.write_cluster(path, entries, lock_timeout=0.2)
    assert str(lock) in str(info.value) and "remove" in str(info.value)
    assert_old(yaml.safe_load(path.read_text()))
    lock.unlink()
    kc.write_cluster(path, entries)
    assert_new(yaml.safe_load(path.read_text()))


def test_kill_during_removal_keeps_old_or_new(tmp_path: Path) -> None:
    """``delete cluster`` rewrites the file too: killed before the replace, the old file."""
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(OLD))
    child = CHILD.replace(
        'entries = kc.build_entries(admin, "new", endpoint="127.0.0.1:2222")\n'
        "kc.write_cluster(path, entries)",
        'kc.remove_cluster(path, "old")',
    )
    assert child != CHILD
    proc = subprocess.run(
        [sys.executable, "-c", child, str(path), "before-replace"],
        input="",
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
        check=False,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert_old(yaml.safe_load(path.read_text()))
    proc = subprocess.run(
        [sys.executable, "-c", child, str(path), "none"],
        input="",
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1 and "could not lock kubeconfig" in proc.stderr  # stale lock
    kc.lock_path(path).unlink()
    proc = subprocess.run(
        [sys.executable, "-c", child, str(path), "none"],
        input="",
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    doc = yaml.safe_load(path.read_text())
    assert names(doc, "contexts") == ["mine"]
    assert json.dumps(doc["users"]) == json.dumps([{"name": "mine", "user": {"token": "keep-me"}}])
