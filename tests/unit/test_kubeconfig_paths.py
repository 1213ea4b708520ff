"""Which kubeconfig file: --kubeconfig, $KUBECONFIG lists, ~/.kube/config, and sudo."""

from __future__ import annotations

import os
import pwd
from pathlib import Path
from typing import Any

import pytest

from pykind.kubeconfig import (
    KubeconfigTarget,
    build_entries,
    kubeconfig_paths,
    removal_targets,
    resolve_target,
    write_cluster,
)
from tests.unit.kubeconfig_support import ADMIN_CONF


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"HOME": str(tmp_path / "home"), **extra}


def test_default_is_home_kube_config(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    target = resolve_target(env=env)
    assert target == KubeconfigTarget(tmp_path / "home" / ".kube" / "config")
    assert kubeconfig_paths(env=env) == [tmp_path / "home" / ".kube" / "config"]


def test_explicit_path_wins(tmp_path: Path) -> None:
    env = env_for(tmp_path, KUBECONFIG=str(tmp_path / "env"))
    assert resolve_target(tmp_path / "flag", env=env).path == tmp_path / "flag"
    assert resolve_target(str(tmp_path / "flag"), env=env).path == tmp_path / "flag"
    assert kubeconfig_paths(tmp_path / "flag", env=env) == [tmp_path / "flag"]


def test_single_kubeconfig_entry_even_if_missing(tmp_path: Path) -> None:
    env = env_for(tmp_path, KUBECONFIG=str(tmp_path / "missing"))
    assert resolve_target(env=env).path == tmp_path / "missing"


def test_kubeconfig_list_first_existing_file(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    b.write_text("")
    c.write_text("")
    env = env_for(tmp_path, KUBECONFIG=os.pathsep.join(map(str, (a, b, c))))
    target = resolve_target(env=env)
    assert target.path == b
    assert "first existing" in target.note
    assert kubeconfig_paths(env=env) == [a, b, c]


def test_kubeconfig_list_none_exist_uses_last(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    (tmp_path / "dir").mkdir()  # a folder does not count as an existing file
    env = env_for(tmp_path, KUBECONFIG=os.pathsep.join([str(a), str(tmp_path / "dir"), str(b)]))
    target = resolve_target(env=env)
    assert target.path == b
    assert "last entry" in target.note


def test_kubeconfig_list_drops_empty_and_duplicate_entries(tmp_path: Path) -> None:
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    env = env_for(tmp_path, KUBECONFIG=os.pathsep.join(["", a, a, "", b, a]))
    assert kubeconfig_paths(env=env) == [Path(a), Path(b)]
    assert [t.path for t in removal_targets(env=env)] == [Path(a), Path(b)]


def test_empty_kubeconfig_env_is_ignored(tmp_path: Path) -> None:
    env = env_for(tmp_path, KUBECONFIG=os.pathsep)
    assert resolve_target(env=env).path == tmp_path / "home" / ".kube" / "config"


# -- sudo ---------------------------------------------------------------------------------------


class FakePw:
    def __init__(self, name: str, uid: int, gid: int, home: Path) -> None:
        self.pw_name = name
        self.pw_uid = uid
        self.pw_gid = gid
        self.pw_dir = str(home)


@pytest.fixture
def sudo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Any]:
    """Pretend to run as root via ``sudo`` from user alice (uid 4242)."""
    home = tmp_path / "alice"
    home.mkdir()
    users = {"alice": FakePw("alice", 4242, 4343, home), "root": FakePw("root", 0, 0, tmp_path)}

    def getpwnam(name: str) -> FakePw:
        return users[name]

    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(pwd, "getpwnam", getpwnam)
    return {"home": home, "env": {"HOME": str(tmp_path / "root"), "SUDO_USER": "alice"}}


def test_sudo_targets_invoking_users_kubeconfig(sudo: dict[str, Any]) -> None:
    target = resolve_target(env=sudo["env"])
    assert target.path == sudo["home"] / ".kube" / "config"
    assert (target.owner_uid, target.owner_gid) == (4242, 4343)
    assert "sudo" in target.note and "alice" in target.note
    assert removal_targets(env=sudo["env"]) == [target]


def test_sudo_rule_yields_to_explicit_path_and_kubeconfig(
    sudo: dict[str, Any], tmp_path: Path
) -> None:
    assert resolve_target(tmp_path / "x", env=sudo["env"]).owner_uid is None
    env = {**sudo["env"], "KUBECONFIG": str(tmp_path / "k")}
    assert resolve_target(env=env) == KubeconfigTarget(tmp_path / "k")
    assert removal_targets(env=env) == [KubeconfigTarget(tmp_path / "k")]


@pytest.mark.parametrize("user", ["root", "nobody-such", ""])
def test_sudo_rule_needs_a_real_non_root_user(sudo: dict[str, Any], user: str) -> None:
    env = {**sudo["env"], "SUDO_USER": user}
    assert resolve_target(env=env).path == Path(env["HOME"]) / ".kube" / "config"


def test_sudo_rule_needs_root(sudo: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert resolve_target(env=sudo["env"]).owner_uid is None


def test_sudo_write_gives_created_files_to_the_user(
    sudo: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    chowned: list[tuple[str, int, int]] = []
    monkeypatch.setattr(os, "chown", lambda p, u, g: chowned.append((str(p), u, g)))
    target = resolve_target(env=sudo["env"])
    written = write_cluster(target, build_entries(ADMIN_CONF, "dev"))
    kube_dir = sudo["home"] / ".kube"
    assert written == kube_dir / "config"
    assert (str(kube_dir), 4242, 4343) in chowned
    owners = {(u, g) for _, u, g in chowned}
    assert owners == {(4242, 4343)}
    # the file itself was chowned (as a temporary file renamed into place)
    assert any(Path(p).parent == kube_dir and p != str(kube_dir) for p, _, _ in chowned)
    assert "kind-dev" in written.read_text()


def test_sudo_write_keeps_existing_owner(
    sudo: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    kube_dir = sudo["home"] / ".kube"
    kube_dir.mkdir()
    (kube_dir / "config").write_text("")
    stat = (kube_dir / "config").stat()
    chowned: list[tuple[str, int, int]] = []
    monkeypatch.setattr(os, "chown", lambda p, u, g: chowned.append((str(p), u, g)))
    # the file belongs to someone other than the (pretend) root process
    monkeypatch.setattr(os, "getegid", lambda: stat.st_gid + 1)
    write_cluster(resolve_target(env=sudo["env"]), build_entries(ADMIN_CONF, "dev"))
    # the replacement file is given the existing owner, not the sudo user nor root
    assert [(u, g) for _, u, g in chowned] == [(stat.st_uid, stat.st_gid)]
    assert Path(chowned[0][0]).parent == kube_dir
