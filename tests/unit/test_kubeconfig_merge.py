"""kind's kubeconfig entries: building from admin.conf, merging, removing, locking, atomicity."""

from __future__ import annotations

import multiprocessing
import os
import stat
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

from pykind.config.yamlcore import CoreSafeLoader
from pykind.errors import ConfigError
from pykind.kubeconfig import (
    KubeconfigLockError,
    KubeconfigTarget,
    build_entries,
    context_name,
    format_endpoint,
    get_cluster_entries,
    lock_path,
    read_cluster_entries,
    remove_cluster,
    remove_from_kubeconfigs,
    write_cluster,
)
from pykind.kubeconfig import merge as merge_module
from tests.unit.kubeconfig_support import admin_conf

EXISTING = """\
apiVersion: v1
kind: Config
preferences:
  colors: true
clusters:
- name: prod
  cluster:
    server: https://prod.example:443
    certificate-authority: /etc/prod-ca.crt
    extensions:
    - name: client.authentication.k8s.io/exec
      extension: {audience: prod}
contexts:
- name: prod
  context: {cluster: prod, user: prod-admin, namespace: web}
users:
- name: prod-admin
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: get-token
      args: ["--cluster", "prod"]
      env: [{name: FLAG, value: yes}]
      interactiveMode: Never
current-context: prod
extensions:
- name: custom
  extension: {answer: 42, when: 2001-12-14, mode: "0777"}
x-unknown-top-level: {keep: me}
"""


def entries(name: str = "dev", port: int = 40001) -> Any:
    return build_entries(admin_conf(name), name, endpoint=format_endpoint("127.0.0.1", port))


def load(path: Path) -> Any:
    return yaml.load(path.read_text(), Loader=CoreSafeLoader)


def named(doc: Any, key: str) -> dict[str, Any]:
    return {item["name"]: item for item in doc.get(key) or []}


# -- building -----------------------------------------------------------------------------------


def test_build_entries_renames_and_points_to_endpoint() -> None:
    e = entries("dev", 40001)
    assert e.name == context_name("dev") == "kind-dev"
    assert e.cluster == {
        "cluster": {"certificate-authority-data": "Q0EK", "server": "https://127.0.0.1:40001"},
        "name": "kind-dev",
    }
    assert e.user == {
        "name": "kind-dev",
        "user": {"client-certificate-data": "Q0VSVAo=", "client-key-data": "S0VZCg=="},
    }
    assert e.context == {"context": {"cluster": "kind-dev", "user": "kind-dev"}, "name": "kind-dev"}
    assert e.server == "https://127.0.0.1:40001"


def test_build_entries_without_endpoint_keeps_internal_server() -> None:
    e = build_entries(admin_conf("dev"), "dev")
    assert e.server == "https://dev-control-plane:6443"


def test_format_endpoint_brackets_ipv6() -> None:
    assert format_endpoint("::1", 6443) == "[::1]:6443"
    assert format_endpoint("127.0.0.1", 6443) == "127.0.0.1:6443"
    assert format_endpoint("dev-control-plane", 6443) == "dev-control-plane:6443"


def test_get_cluster_entries_is_a_standalone_kubeconfig() -> None:
    text = get_cluster_entries(admin_conf("dev"), "dev", endpoint="[::1]:7000")
    doc = yaml.safe_load(text)
    assert doc["current-context"] == "kind-dev"
    assert doc["apiVersion"] == "v1" and doc["kind"] == "Config"
    assert [c["name"] for c in doc["clusters"]] == ["kind-dev"]
    assert doc["clusters"][0]["cluster"]["server"] == "https://[::1]:7000"
    assert list(doc) == sorted(doc)  # kubectl's field order


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("clusters: [\n", "not valid YAML"),
        ("- a\n", "expected a mapping"),
        (admin_conf("x").replace("users:", "users: []\nold:"), "one user, but has 0"),
        ("clusters: [{name: a}, {name: b}]\nusers: [{}]\ncontexts: [{}]\n", "one cluster"),
    ],
)
def test_bad_admin_conf_is_a_config_error(text: str, reason: str) -> None:
    with pytest.raises(ConfigError) as info:
        build_entries(text, "dev")
    assert reason in str(info.value)


# -- merging ------------------------------------------------------------------------------------


def test_new_file_gets_entries_mode_0600_and_folder(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "dir" / "config"
    assert write_cluster(path, entries()) == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o700 == 0o700
    doc = load(path)
    assert doc["current-context"] == "kind-dev"
    assert doc["apiVersion"] == "v1" and doc["kind"] == "Config" and doc["preferences"] == {}
    assert list(doc) == sorted(doc)
    assert not lock_path(path).exists()


def test_merge_preserves_other_entries_and_unknown_fields(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text(EXISTING)
    before = load(path)
    write_cluster(path, entries())
    after = load(path)
    assert after["current-context"] == "kind-dev"
    for key in ("clusters", "users", "contexts"):
        assert [i["name"] for i in after[key]] == [i["name"] for i in before[key]] + ["kind-dev"]
        for name, item in named(before, key).items():
            assert named(after, key)[name] == item
    for key in ("apiVersion", "kind", "preferences", "extensions", "x-unknown-top-level"):
        assert after[key] == before[key]
    assert list(after) == list(before)  # field order kept
    # YAML 1.1 lookalikes stay strings for kubectl ("yes", dates, "0777")
    assert after["users"][0]["user"]["exec"]["env"][0]["value"] == "yes"
    assert after["extensions"][0]["extension"] == {
        "answer": 42,
        "when": "2001-12-14",
        "mode": "0777",
    }
    assert yaml.safe_load(path.read_text())["users"][0]["user"]["exec"]["env"][0]["value"] == "yes"


def test_remerge_is_idempotent_and_replaces(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text(EXISTING)
    write_cluster(path, entries(port=1))
    first = path.read_bytes()
    write_cluster(path, entries(port=1))
    assert path.read_bytes() == first
    write_cluster(path, entries(port=2))
    doc = load(path)
    assert [c["name"] for c in doc["clusters"]].count("kind-dev") == 1
    assert named(doc, "clusters")["kind-dev"]["cluster"]["server"] == "https://127.0.0.1:2"


def test_merge_without_setting_current_context(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text(EXISTING)
    write_cluster(path, entries(), set_current=False)
    assert load(path)["current-context"] == "prod"


def test_two_clusters_then_remove_one(tmp_path: Path) -> None:
    path = tmp_path / "config"
    write_cluster(path, entries("one"))
    write_cluster(path, entries("two"))
    doc = load(path)
    assert sorted(named(doc, "contexts")) == ["kind-one", "kind-two"]
    assert doc["current-context"] == "kind-two"
    assert remove_cluster(path, "one") is True
    doc = load(path)
    assert sorted(named(doc, "clusters")) == ["kind-two"]
    assert sorted(named(doc, "users")) == ["kind-two"]
    assert doc["current-context"] == "kind-two"  # not pointing to the removed one: kept
    assert remove_cluster(path, "one") is False


def test_remove_restores_the_original(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text(EXISTING)
    original = load(path)
    write_cluster(path, entries(), set_current=False)
    assert remove_cluster(path, "dev") is True
    assert load(path) == original


def test_remove_unsets_current_context_pointing_to_it(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text(EXISTING)
    original = load(path)
    write_cluster(path, entries())
    remove_cluster(path, "dev")
    after = load(path)
    assert "current-context" not in after  # as upstream: unset, not restored
    del original["current-context"]
    assert after == original


def test_remove_last_cluster_keeps_other_fields(tmp_path: Path) -> None:
    path = tmp_path / "config"
    write_cluster(path, entries())
    remove_cluster(path, "dev")
    doc = load(path)
    assert doc == {"apiVersion": "v1", "clusters": [], "contexts": [], "kind": "Config",
                   "preferences": {}, "users": []}  # fmt: skip


def test_remove_from_missing_file_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "nope" / "config"
    assert remove_cluster(path, "dev") is False
    assert not path.parent.exists()


def test_remove_from_all_kubeconfig_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    write_cluster(a, entries())
    write_cluster(b, entries())
    write_cluster(b, entries("keep"))
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join(map(str, (a, b, c))))
    assert remove_from_kubeconfigs("dev") == [a, b]
    assert read_cluster_entries(a, "dev") is None
    assert read_cluster_entries(b, "keep") is not None
    assert not c.exists()


def test_read_cluster_entries_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text(EXISTING)
    write_cluster(path, entries())
    found = read_cluster_entries(path, "dev")
    assert found is not None
    assert found.cluster == entries().cluster
    assert yaml.safe_load(found.to_yaml())["current-context"] == "kind-dev"
    assert read_cluster_entries(path, "other") is None


def test_existing_mode_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text(EXISTING)
    path.chmod(0o640)
    write_cluster(path, entries())
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    remove_cluster(path, "dev")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_symlinked_kubeconfig_is_written_through(tmp_path: Path) -> None:
    real = tmp_path / "real-config"
    real.write_text(EXISTING)
    link = tmp_path / "config"
    link.symlink_to(real)
    write_cluster(link, entries())
    assert link.is_symlink()
    assert "kind-dev" in named(load(real), "contexts")


@pytest.mark.parametrize("text", ["", "\n", "# only a comment\n", "---\n"])
def test_empty_file_is_an_empty_kubeconfig(tmp_path: Path, text: str) -> None:
    path = tmp_path / "config"
    path.write_text(text)
    write_cluster(path, entries())
    assert load(path)["current-context"] == "kind-dev"


def test_target_object_is_accepted(tmp_path: Path) -> None:
    target = KubeconfigTarget(tmp_path / "config")
    assert write_cluster(target, entries()) == tmp_path / "config"
    assert remove_cluster(target, "dev") is True


# -- corrupt files ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("clusters: [\n", "is not valid YAML"),
        ("- just\n- a list\n", "expected a mapping, got a list"),
        ("clusters: prod\n", "clusters must be a list, got a string"),
        ("users: [prod]\n", "users[0] must be a mapping, got a string"),
        ("contexts: [{name: [x]}]\n", "contexts[0].name must be a string"),
        ("current-context: [a]\n", "current-context must be a string"),
        ("b: " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
        ("b: " + "[" * 400 + "]" * 400 + "\n", "nested too deeply"),
    ],
)
def test_corrupt_file_is_an_error_and_left_alone(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / "config"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        write_cluster(path, entries())
    assert str(path) in str(info.value)
    assert reason in str(info.value)
    assert "\n" not in str(info.value)
    assert path.read_text() == text
    try:
        changed = remove_cluster(path, "dev")  # nothing to remove, or unreadable
    except ConfigError as exc:
        assert str(path) in str(exc)
        changed = False
    assert changed is False
    assert path.read_text() == text
    assert not lock_path(path).exists()


def test_binary_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match="not UTF-8"):
        write_cluster(path, entries())
    assert path.read_bytes() == b"\xff\xfe\x00garbage"


def test_directory_in_place_of_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.mkdir()
    with pytest.raises(ConfigError, match="is a directory"):
        write_cluster(path, entries())


# -- locking ------------------------------------------------------------------------------------


def test_held_lock_times_out_with_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text(EXISTING)
    lock = lock_path(path)
    assert lock == tmp_path / "config.lock"  # client-go's name
    lock.write_text("")
    with pytest.raises(KubeconfigLockError) as info:
        write_cluster(path, entries(), lock_timeout=0.2)
    message = str(info.value)
    assert str(lock) in message and "remove" in message
    assert path.read_text() == EXISTING
    assert lock.exists()  # someone else's lock is never removed
    with pytest.raises(KubeconfigLockError):
        remove_cluster(path, "prod", lock_timeout=0)
    assert path.read_text() == EXISTING


def test_lock_is_waited_for(tmp_path: Path) -> None:
    path = tmp_path / "config"
    lock = lock_path(path)
    lock.write_text("")
    releaser = threading.Timer(0.3, lock.unlink)
    releaser.start()
    try:
        write_cluster(path, entries(), lock_timeout=60)
    finally:
        releaser.join()
    assert "kind-dev" in named(load(path), "contexts")
    assert not lock.exists()


def test_lock_is_held_while_writing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config"
    seen: list[bool] = []
    monkeypatch.setattr(merge_module, "before_replace", lambda tmp, dst: seen.append(
        lock_path(path).exists()))  # fmt: skip
    write_cluster(path, entries())
    assert seen == [True]
    assert not lock_path(path).exists()


# -- atomicity ----------------------------------------------------------------------------------


class Crash(Exception):
    pass


def test_abort_mid_write_leaves_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config"
    path.write_text(EXISTING)
    path.chmod(0o644)
    temps: list[Path] = []

    def crash(tmp: Path, dst: Path) -> None:
        temps.append(tmp)
        assert "kind-dev" in tmp.read_text()  # the new content was fully written...
        raise Crash  # ...but the process dies before the rename

    monkeypatch.setattr(merge_module, "before_replace", crash)
    with pytest.raises(Crash):
        write_cluster(path, entries())
    assert path.read_text() == EXISTING
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert temps and not temps[0].exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config"]  # no temp file, no lock


def test_abort_mid_remove_leaves_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config"
    write_cluster(path, entries())
    before = path.read_bytes()

    def crash(tmp: Path, dst: Path) -> None:
        raise Crash

    monkeypatch.setattr(merge_module, "before_replace", crash)
    with pytest.raises(Crash):
        remove_cluster(path, "dev")
    assert path.read_bytes() == before


# -- concurrency --------------------------------------------------------------------------------


def _merge_in_process(path: str, name: str, start: Any) -> None:
    start.wait()
    write_cluster(Path(path), entries(name), lock_timeout=120)


def test_parallel_processes_all_land(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text(EXISTING)
    ctx = multiprocessing.get_context("fork")
    start = ctx.Event()
    names = [f"c{i}" for i in range(8)]
    procs = [ctx.Process(target=_merge_in_process, args=(str(path), n, start)) for n in names]
    for proc in procs:
        proc.start()
    start.set()
    for proc in procs:
        proc.join(timeout=300)
    assert [proc.exitcode for proc in procs] == [0] * 8
    doc = load(path)
    for key in ("clusters", "users", "contexts"):
        assert sorted(named(doc, key)) == sorted([f"kind-{n}" for n in names] + (
            ["prod-admin"] if key == "users" else ["prod"]))  # fmt: skip
    assert doc["current-context"] in {f"kind-{n}" for n in names}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config"]


def test_parallel_threads_all_land(tmp_path: Path) -> None:
    path = tmp_path / "config"
    errors: list[BaseException] = []

    def run(name: str) -> None:
        try:
            write_cluster(path, entries(name), lock_timeout=120)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(f"t{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(named(load(path), "contexts")) == sorted(f"kind-t{i}" for i in range(8))


def test_recursive_yaml_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text("a: &x [*x]\nb: &y {k: *y}\n")
    write_cluster(path, entries())
    doc = load(path)
    assert doc["a"][0] is doc["a"] and doc["b"]["k"] is doc["b"]
