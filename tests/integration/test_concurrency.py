"""Concurrent ``kind create cluster`` runs on real engines, through the real command line.

The runs meet at deterministic points: a fault-injection plugin (tests/integration/
test_faults_plugin.py) holds every run at a step until all of them got there, then the test
releases them together. So "at once" does not depend on timing luck.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import yaml

from pykind.runtime.engine import EngineProvider
from tests.integration.helpers import ClusterTracker, networks_named, random_name
from tests.integration.test_faults_plugin import (
    Kind,
    kind_env,
    plugin_site,
    release,
    wait_for_file,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

#: Clusters created at once (small: the test machine has 2 CPUs shared by many).
PARALLEL = 4
#: A kubeconfig entry that belongs to the user, not to kind: it must survive everything.
USER_KUBECONFIG = {
    "apiVersion": "v1",
    "kind": "Config",
    "clusters": [{"name": "mine", "cluster": {"server": "https://example.invalid:6443"}}],
    "users": [{"name": "mine", "user": {"token": "secret-token"}}],
    "contexts": [{"name": "mine", "context": {"cluster": "mine", "user": "mine"}}],
    "current-context": "mine",
}


def contexts(kubeconfig: Path) -> dict[str, dict[str, str]]:
    doc = yaml.safe_load(kubeconfig.read_text()) or {}
    return {c["name"]: c["context"] for c in doc.get("contexts") or ()}


def servers(kubeconfig: Path) -> dict[str, str]:
    doc = yaml.safe_load(kubeconfig.read_text()) or {}
    return {c["name"]: c["cluster"]["server"] for c in doc.get("clusters") or ()}


def test_four_clusters_at_once_share_one_network_and_one_kubeconfig(
    engine: EngineProvider, node_image: str, tracker: ClusterTracker, tmp_path: Path
) -> None:
    names = [tracker.track(engine, random_name()) for _ in range(PARALLEL)]
    # a network of this test's own, so "exactly one network" is not about other people's runs
    network = tracker.track_network(engine, random_name("pykind-race-"))
    marks = tmp_path / "marks"
    marks.mkdir()
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(USER_KUBECONFIG))
    kubeconfig.chmod(0o600)
    env = kind_env(
        engine.name,
        plugin_site(tmp_path / "site"),
        kubeconfig,
        PYKIND_FAULT_DIR=str(marks),
        # held before provisioning (all create the network at once) and right before the
        # kubeconfig step (all merge into the same file at once)
        PYKIND_FAULT_HOLD="IMAGES,WAIT_READY",
        **{engine.network_env: network},
    )
    runs = [
        Kind.start(["create", "cluster", "--name", n, "--image", node_image], env, tmp_path / n)
        for n in names
    ]
    try:
        for phase in ("IMAGES", "WAIT_READY"):
            wait_for_file(f"reached.{phase}.*", marks, PARALLEL, runs)
            release(marks, phase)
        codes = [run.wait() for run in runs]
    finally:
        for run in runs:
            run.kill()
    assert codes == [0] * PARALLEL, "\n\n".join(r.stderr for r in runs)

    assert len(networks_named(engine, network)) == 1
    for name in names:
        (node,) = engine.list_nodes(name)
        assert node.run(["true"]).returncode == 0
    found = contexts(kubeconfig)
    assert set(found) == {"mine", *(f"kind-{n}" for n in names)}
    assert found["mine"] == {"cluster": "mine", "user": "mine"}
    server_of = servers(kubeconfig)
    assert server_of["mine"] == "https://example.invalid:6443"
    for name in names:
        assert server_of[f"kind-{name}"] == f"https://{engine.api_server_endpoint(name)}"
    assert stat.S_IMODE(kubeconfig.stat().st_mode) == 0o600
    assert not list(tmp_path.glob("kubeconfig.lock")) and not list(tmp_path.glob(".kubeconfig.*"))

    # and four deletes at once leave exactly the user's entry
    deletes = [
        Kind.start(["delete", "cluster", "--name", n], env, tmp_path / f"delete-{n}") for n in names
    ]
    codes = [run.wait() for run in deletes]
    assert codes == [0] * PARALLEL, "\n\n".join(r.stderr for r in deletes)
    assert set(contexts(kubeconfig)) == {"mine"}
    for name in names:
        assert engine.list_nodes(name) == []


@pytest.mark.parametrize("order", ["together", "staggered"])
def test_same_name_twice_at_once_exactly_one_wins_and_keeps_everything(
    engine: EngineProvider, node_image: str, cluster_name: str, tmp_path: Path, order: str
) -> None:
    """Both runs pass the "already exists" check, then race for the name: released together
    (the engine decides), or one after the other (the second only once the first one's node
    has booted: the loser must not clean up what the winner created)."""
    marks = tmp_path / "marks"
    marks.mkdir()
    kubeconfig = tmp_path / "kubeconfig"
    env = kind_env(
        engine.name,
        plugin_site(tmp_path / "site"),
        kubeconfig,
        PYKIND_FAULT_DIR=str(marks),
        # held after the "already exists" check, before provisioning; and after provisioning
        PYKIND_FAULT_HOLD="IMAGES,KUBEADM_CONFIG",
    )
    args = ["create", "cluster", "--name", cluster_name, "--image", node_image]
    runs = [Kind.start(args, env, tmp_path / f"run{i}") for i in range(2)]
    try:
        wait_for_file("reached.IMAGES.*", marks, 2, runs)
        if order == "together":
            release(marks, "KUBEADM_CONFIG")
            release(marks, "IMAGES")
            codes = [run.wait() for run in runs]
        else:
            first, second = runs
            release(marks, "IMAGES", first.proc.pid)
            wait_for_file(f"reached.KUBEADM_CONFIG.{first.proc.pid}", marks, 1, [first])
            release(marks, "IMAGES", second.proc.pid)
            codes = [0, second.wait()]
            release(marks, "KUBEADM_CONFIG")
            codes[0] = first.wait()
    finally:
        for run in runs:
            run.kill()
    assert sorted(codes) == [0, 1], "\n\n".join(r.stderr for r in runs)
    winner, loser = (runs[0], runs[1]) if codes[0] == 0 else (runs[1], runs[0])
    assert "Set kubectl context to" in winner.stderr
    # the loser removed nothing of the winner's: its node runs, its kubeconfig entry is there
    (node,) = engine.list_nodes(cluster_name)
    assert node.run(["true"]).returncode == 0
    assert f"kind-{cluster_name}" in contexts(kubeconfig)
    # and said clearly why it failed
    assert f'node(s) already exist for a cluster with the name "{cluster_name}"' in loser.stderr
    assert "Traceback" not in loser.stderr
