"""Faults during ``kind create cluster`` and ``kind delete cluster`` on real engines, through
the real command line (a subprocess, like a user's shell).

Every failed create must leave nothing of its cluster behind (containers, their anonymous
``/var`` volumes) unless ``--retain``; say what failed without a traceback; exit 1 (130 when
interrupted); and a second create with the same name must work. Faults are injected at
deterministic points with the plugin of tests/integration/test_faults_plugin.py. The node image
is the TEST image (stand-ins for kubeadm/kubelet/kubectl): these tests are about what pykind
does with containers, files and processes, not about Kubernetes.
"""

from __future__ import annotations

import json
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from pykind import kubeconfig as kc
from pykind.runtime.engine import EngineProvider
from tests.integration.helpers import eventually
from tests.integration.test_faults_plugin import (
    PROCESS_LIMIT,
    Kind,
    engine_volumes,
    kind_env,
    plugin_site,
    recorded_volumes,
    release,
    volumes_of,
    wait_for_file,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

USER_ENTRY = {
    "apiVersion": "v1",
    "kind": "Config",
    "clusters": [{"name": "mine", "cluster": {"server": "https://example.invalid:6443"}}],
    "users": [{"name": "mine", "user": {"token": "keep-me"}}],
    "contexts": [{"name": "mine", "context": {"cluster": "mine", "user": "mine"}}],
    "current-context": "mine",
}


class Setup:
    """One test's kind environment: kubeconfig with a user entry, plugin, marker folder."""

    def __init__(self, engine: EngineProvider, tmp_path: Path, **env: str) -> None:
        self.engine = engine
        self.tmp = tmp_path
        self.marks = tmp_path / "marks"
        self.marks.mkdir()
        self.kubeconfig = tmp_path / "kubeconfig"
        self.kubeconfig.write_text(yaml.safe_dump(USER_ENTRY))
        self.kubeconfig.chmod(0o600)
        self.record = tmp_path / "deleted.jsonl"
        self.env = kind_env(
            engine.name,
            plugin_site(tmp_path / "site"),
            self.kubeconfig,
            PYKIND_FAULT_DIR=str(self.marks),
            PYKIND_FAULT_RECORD=str(self.record),
            **env,
        )
        self._runs = 0

    def start(self, *args: str, **env: str) -> Kind:
        self._runs += 1
        return Kind.start(args, {**self.env, **env}, self.tmp / f"run{self._runs}")

    def kind(self, *args: str, **env: str) -> Kind:
        run = self.start(*args, **env)
        run.wait()
        return run

    def contexts(self) -> set[str]:
        doc = yaml.safe_load(self.kubeconfig.read_text()) or {}
        return {c["name"] for c in doc.get("contexts") or ()}

    def assert_nothing_left(self, cluster: str) -> None:
        """No container of ``cluster``, none of the volumes its containers had, no kubeconfig
        entry; the user's own entry intact."""
        assert self.engine.list_nodes(cluster) == []
        volumes = recorded_volumes(self.record)
        assert volumes, "the deleting hook recorded no volumes"
        assert not volumes & engine_volumes(self.engine)
        if self.engine.name == "podman":  # its /var volumes are labelled with the node name
            left = self.engine.client.volumes.list(filters={"label": f"{cluster}-control-plane"})
            assert left == []
        assert self.contexts() == {"mine"}
        assert yaml.safe_load(self.kubeconfig.read_text())["users"] == USER_ENTRY["users"]


@pytest.fixture
def setup(engine: EngineProvider, tmp_path: Path) -> Setup:
    return Setup(engine, tmp_path)


def assert_clean_error(run: Kind, *expected: str) -> None:
    assert run.proc.returncode == 1, run.stderr
    assert "ERROR: failed to create cluster: " in run.stderr
    for text in expected:
        assert text in run.stderr
    assert "Traceback" not in run.stderr


def create_args(cluster: str, image: str, *extra: str) -> list[str]:
    return ["create", "cluster", "--name", cluster, "--image", image, *extra]


# ---------------------------------------------------------------- failures during create
def test_node_that_never_boots_is_removed_and_the_name_can_be_reused(
    setup: Setup, cluster_name: str, broken_image: str, node_image: str
) -> None:
    run = setup.kind(*create_args(cluster_name, broken_image))
    assert_clean_error(
        run,
        'create step "provision" failed',
        f"node '{cluster_name}-control-plane' failed to boot",
        " ✗ Preparing nodes 📦",
    )
    setup.assert_nothing_left(cluster_name)

    again = setup.kind(*create_args(cluster_name, node_image))
    assert again.proc.returncode == 0, again.stderr
    assert setup.contexts() == {"mine", f"kind-{cluster_name}"}
    deleted = setup.kind("delete", "cluster", "--name", cluster_name)
    assert deleted.proc.returncode == 0, deleted.stderr
    assert setup.contexts() == {"mine"}


@pytest.mark.parametrize("retain", [False, True], ids=["cleanup", "retain"])
def test_failing_bootstrap_step_cleans_up_unless_retain(
    setup: Setup, cluster_name: str, node_image: str, retain: bool
) -> None:
    extra = ("--retain",) if retain else ()
    run = setup.kind(
        *create_args(cluster_name, node_image, *extra), PYKIND_FAULT_FAIL="KUBEADM_INIT"
    )
    assert_clean_error(
        run,
        'create step "fault-fail-kubeadm_init" failed: '
        "RuntimeError: injected failure in KUBEADM_INIT",
    )
    if retain:
        (node,) = setup.engine.list_nodes(cluster_name)
        assert node.run(["test", "-f", "/kind/kubeadm.conf"]).returncode == 0
        assert setup.contexts() == {"mine"}
        return
    setup.assert_nothing_left(cluster_name)


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A host port on loopback that something else already listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


@pytest.mark.parametrize("checked_by", ["preflight", "engine"])
def test_host_port_already_taken(
    setup: Setup, cluster_name: str, node_image: str, taken_port: int, checked_by: str
) -> None:
    """Caught by the preflight step (naming the holder) before any container exists; with
    that step disabled, the engine refuses to publish the port when the node starts."""
    config = setup.tmp / "cluster.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "kind": "Cluster",
                "apiVersion": "kind.x-k8s.io/v1alpha4",
                "nodes": [
                    {
                        "role": "control-plane",
                        "extraPortMappings": [
                            {
                                "containerPort": 80,
                                "hostPort": taken_port,
                                "listenAddress": "127.0.0.1",
                            }
                        ],
                    }
                ],
            }
        )
    )
    extra = {"PYKIND_DISABLE_PLUGINS": "pykind.doctor.preflight"} if checked_by == "engine" else {}
    run = setup.kind(*create_args(cluster_name, node_image, "--config", str(config)), **extra)
    if checked_by == "preflight":
        assert_clean_error(
            run,
            'create step "preflight" failed',
            f"host port 127.0.0.1:{taken_port}/tcp is already in use",
        )
    else:
        assert_clean_error(run, 'create step "provision" failed', str(taken_port))
        assert "address already in use" in run.stderr or "already allocated" in run.stderr
    assert setup.engine.list_nodes(cluster_name) == []
    assert setup.contexts() == {"mine"}
    if setup.engine.name == "podman":
        left = setup.engine.client.volumes.list(filters={"label": f"{cluster_name}-control-plane"})
        assert left == []


# ---------------------------------------------------------------- interrupts
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("point", ["preparing-nodes", "after-provisioning"])
def test_interrupt_during_create_removes_the_cluster(
    setup: Setup, cluster_name: str, node_image: str, sig: signal.Signals, point: str
) -> None:
    """Signalled while nodes are being created (the "Preparing nodes" line is out), or at a
    step after provisioning (held there by the plugin): exit 130, nothing left."""
    # the hold keeps the create from finishing before the signal whatever the machine's speed
    run = setup.start(*create_args(cluster_name, node_image), PYKIND_FAULT_HOLD="KUBEADM_CONFIG")
    try:
        if point == "preparing-nodes":
            run.wait_for_stderr("Preparing nodes")
        else:
            wait_for_file("reached.KUBEADM_CONFIG.*", setup.marks, 1, [run])
            # the volumes exist now: record them (the signal may come before the delete hook)
            for node in setup.engine.list_nodes(cluster_name):
                setup.record.write_text(json.dumps({"volumes": volumes_of(node)}) + "\n")
        run.signal(sig)
        code = run.wait()
    finally:
        release(setup.marks, "KUBEADM_CONFIG")
        run.kill()
    assert code == 130, run.stderr
    assert run.stderr.rstrip().endswith("ERROR: interrupted"), run.stderr
    assert "Traceback" not in run.stderr
    assert setup.engine.list_nodes(cluster_name) == []
    assert setup.contexts() == {"mine"}
    if setup.record.exists():
        assert not recorded_volumes(setup.record) & engine_volumes(setup.engine)
    if setup.engine.name == "podman":
        left = setup.engine.client.volumes.list(filters={"label": f"{cluster_name}-control-plane"})
        assert left == []


def test_interrupt_with_retain_keeps_the_nodes(
    setup: Setup, cluster_name: str, node_image: str
) -> None:
    run = setup.start(
        *create_args(cluster_name, node_image, "--retain"), PYKIND_FAULT_HOLD="KUBEADM_CONFIG"
    )
    try:
        wait_for_file("reached.KUBEADM_CONFIG.*", setup.marks, 1, [run])
        run.signal(signal.SIGINT)
        code = run.wait()
    finally:
        release(setup.marks, "KUBEADM_CONFIG")
        run.kill()
    assert code == 130, run.stderr
    (node,) = setup.engine.list_nodes(cluster_name)
    assert node.run(["true"]).returncode == 0


# ---------------------------------------------------------------- restarts under a cluster
def systemd_up(engine: EngineProvider, name: str) -> bool:
    _, out, _ = engine.exec_in(name, ["systemctl", "is-system-running"])
    return out.decode().strip() in ("running", "degraded")


def test_nodes_survive_container_restarts_and_kills(
    setup: Setup, cluster_name: str, node_image: str
) -> None:
    """A full engine restart is not exercised (the engines on the test machine are shared);
    ``restart`` and ``kill`` + ``start`` of the node container stand in for it."""
    engine = setup.engine
    created = setup.kind(*create_args(cluster_name, node_image))
    assert created.proc.returncode == 0, created.stderr
    node_name = f"{cluster_name}-control-plane"
    endpoint = engine.api_server_endpoint(cluster_name)
    container = engine.client.containers.get(node_name)
    policy = container.attrs["HostConfig"].get("RestartPolicy") or {}
    if engine.name == "docker":  # upstream: --restart=on-failure:1
        assert (policy.get("Name"), policy.get("MaximumRetryCount")) == ("on-failure", 1)
    else:  # upstream's podman provider sets no restart policy
        assert policy.get("Name", "") in ("", "no")

    container.restart(timeout=10)
    eventually(lambda: systemd_up(engine, node_name), timeout=PROCESS_LIMIT)
    container.kill()
    eventually(
        lambda: not engine.client.containers.get(node_name).attrs["State"]["Running"],
        timeout=PROCESS_LIMIT,
    )
    engine.client.containers.get(node_name).start()
    eventually(lambda: systemd_up(engine, node_name), timeout=PROCESS_LIMIT)

    assert engine.api_server_endpoint(cluster_name) == endpoint  # same published port
    nodes = setup.kind("get", "nodes", "--name", cluster_name)
    assert nodes.proc.returncode == 0, nodes.stderr
    assert nodes.stdout.split() == [node_name]
    deleted = setup.kind("delete", "cluster", "--name", cluster_name)
    assert deleted.proc.returncode == 0, deleted.stderr
    assert engine.list_nodes(cluster_name) == []
    assert setup.contexts() == {"mine"}


# ---------------------------------------------------------------- delete of a broken cluster
def test_delete_of_a_half_removed_cluster(setup: Setup, cluster_name: str, node_image: str) -> None:
    engine = setup.engine
    config = setup.tmp / "two-nodes.yaml"
    config.write_text(
        "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n"
        "nodes:\n- role: control-plane\n- role: worker\n"
    )
    created = setup.kind(*create_args(cluster_name, node_image, "--config", str(config)))
    assert created.proc.returncode == 0, created.stderr
    entries = kc.read_cluster_entries(setup.kubeconfig, cluster_name)
    assert entries is not None

    # by hand: the worker container goes, and so does the kubeconfig entry
    engine.client.containers.get(f"{cluster_name}-worker").remove(v=True, force=True)
    assert kc.remove_cluster(setup.kubeconfig, cluster_name)
    deleted = setup.kind("delete", "cluster", "--name", cluster_name)
    assert deleted.proc.returncode == 0, deleted.stderr
    assert "Traceback" not in deleted.stderr
    assert engine.list_nodes(cluster_name) == []
    assert setup.contexts() == {"mine"}

    # no containers at all, but the kubeconfig entry is back: delete removes just that
    kc.write_cluster(setup.kubeconfig, entries, set_current=False)
    assert f"kind-{cluster_name}" in setup.contexts()
    deleted = setup.kind("delete", "cluster", "--name", cluster_name)
    assert deleted.proc.returncode == 0, deleted.stderr
    assert setup.contexts() == {"mine"}
    # create made kind-<name> current; deleting it unsets that (as upstream), never "mine"'s
    assert yaml.safe_load(setup.kubeconfig.read_text()).get("current-context", "") == ""
