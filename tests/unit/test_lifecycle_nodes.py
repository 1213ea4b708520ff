"""``add node`` / ``remove node`` over the in-memory provider."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pykind.config.models import IPFamily, ProxyMode
from pykind.errors import ClusterNotFoundError, ConfigError, PykindError
from pykind.lifecycle import add_node, remove_node
from pykind.lifecycle.nodes import next_node_name
from pykind.lifecycle.recover import IPS_RECORD, recover_config
from pykind.status import RecordingStatus
from pykind.testing.fakes import FakeNode
from tests.unit.lifecycle_support import PowerFakeProvider, make_cluster


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "kubeconfig"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("PYKIND_LOADBALANCER", raising=False)
    monkeypatch.delenv("PYKIND_LOADBALANCER_IMAGE", raising=False)


@pytest.fixture
def provider() -> PowerFakeProvider:
    return PowerFakeProvider()


def docs(node: FakeNode) -> dict[str, dict]:
    return {d["kind"]: d for d in yaml.safe_load_all(node.text("/kind/kubeadm.conf")) if d}


def kubelet_args(doc: dict) -> dict[str, str]:
    args = doc["nodeRegistration"]["kubeletExtraArgs"]
    if isinstance(args, list):
        return {a["name"]: a["value"] for a in args}
    return dict(args)


# ---------------------------------------------------------------------------- add
def test_add_worker_provisions_one_node_renders_config_and_joins(
    provider: PowerFakeProvider,
) -> None:
    make_cluster(provider, "dev")
    bootstrap = provider.node("dev-control-plane")
    status = RecordingStatus()

    result = add_node(provider, "dev", labels={"tier": "db"}, status=status)

    assert result.name == "dev-worker"
    assert result.role == "worker"
    assert result.image == "local/node:v1"
    plan = provider.plans["dev"]
    assert [(s.name, s.role, s.image) for s in plan.nodes] == [
        ("dev-worker", "worker", "local/node:v1")
    ]
    node = provider.node("dev-worker")
    join = docs(node)["JoinConfiguration"]
    token = join["discovery"]["bootstrapToken"]
    assert token["apiServerEndpoint"] == "dev-control-plane:6443"
    # the token was registered on the bootstrap control plane first
    created = bootstrap.commands("kubeadm", "token", "create")
    assert created and created[0][3] == token["token"]
    assert "controlPlane" not in join
    args = kubelet_args(join)
    assert args["node-ip"] == node.ipv4
    assert args["node-labels"] == "tier=db"
    assert args["provider-id"] == "kind://fake/dev/dev-worker"
    assert node.commands("kubeadm", "join") == [
        ("kubeadm", "join", "--config", "/kind/kubeadm.conf", "--skip-phases=preflight", "--v=6")
    ]
    assert IPS_RECORD in node.files
    assert ("start", "Joining worker node dev-worker 🚜") in status.events


def test_names_are_the_first_free_upstream_names(provider: PowerFakeProvider) -> None:
    make_cluster(provider, "dev", workers=2)
    assert add_node(provider, "dev").name == "dev-worker3"
    remove_node(provider, "dev-worker2", cluster="dev")
    assert add_node(provider, "dev").name == "dev-worker2"
    assert next_node_name("c", "control-plane", {"c-control-plane"}) == "c-control-plane2"
    assert next_node_name("c", "worker", set()) == "c-worker"


def test_a_second_control_plane_needs_a_load_balancer(provider: PowerFakeProvider) -> None:
    make_cluster(provider, "solo")
    created = len(provider.events)
    with pytest.raises(PykindError) as info:
        add_node(provider, "solo", role="control-plane")
    assert str(info.value) == (
        "cluster solo has a single control plane without a load balancer; "
        "create it with 2+ control planes to add more"
    )
    assert len(provider.events) == created  # nothing provisioned


def test_add_control_plane_joins_through_the_load_balancer_and_repoints_it(
    provider: PowerFakeProvider,
) -> None:
    make_cluster(provider, "ha", control_planes=2)
    first = provider.node("ha-control-plane")

    result = add_node(provider, "ha", role="control-plane")

    assert result.name == "ha-control-plane3"
    node = provider.node("ha-control-plane3")
    join = docs(node)["JoinConfiguration"]
    assert join["controlPlane"]["localAPIEndpoint"]["advertiseAddress"] == node.ipv4
    assert join["discovery"]["bootstrapToken"]["apiServerEndpoint"] == (
        "ha-external-load-balancer:6443"
    )
    for path in ("/etc/kubernetes/pki/ca.key", "/etc/kubernetes/pki/etcd/ca.crt"):
        assert node.files[path] == first.files[path]
    lb = provider.node("ha-external-load-balancer")
    cds = lb.text("/home/envoy/cds.yaml")
    for plane in ("ha-control-plane", "ha-control-plane2", "ha-control-plane3"):
        assert f'address: "{provider.node(plane).ipv4}"' in cds


def test_haproxy_load_balancers_are_recognised(
    provider: PowerFakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYKIND_LOADBALANCER", "haproxy")
    monkeypatch.setenv("PYKIND_LOADBALANCER_IMAGE", "local/haproxy:1")
    make_cluster(provider, "hp", control_planes=2)
    monkeypatch.delenv("PYKIND_LOADBALANCER")  # the flavour is read from the container
    add_node(provider, "hp", role="control-plane")
    lb = provider.node("hp-external-load-balancer")
    config = lb.text("/usr/local/etc/haproxy/haproxy.cfg")
    assert "server hp-control-plane3 " in config
    assert lb.commands("kill", "-s", "HUP", "1")
    assert "/home/envoy/cds.yaml" not in lb.files


def test_failed_join_removes_the_new_node_unless_retained(provider: PowerFakeProvider) -> None:
    make_cluster(provider, "ha", control_planes=2)

    def failing_join(node: FakeNode) -> None:
        node.fail(["kubeadm", "join"], stderr="join exploded")

    provider.node_setup.append(failing_join)
    with pytest.raises(PykindError, match="kubeadm join"):
        add_node(provider, "ha", role="control-plane")
    assert "ha-control-plane3" in provider.deleted
    # a control plane leaves etcd before its container goes
    with pytest.raises(KeyError):
        provider.node("ha-control-plane3")

    with pytest.raises(PykindError):
        add_node(provider, "ha", retain=True)
    assert provider.node("ha-worker").commands("kubeadm", "join")


def test_token_falls_back_to_the_clusters_own(provider: PowerFakeProvider) -> None:
    make_cluster(provider, "dev")
    bootstrap = provider.node("dev-control-plane")
    bootstrap.fail(["kubeadm", "token", "create"])
    existing = docs(bootstrap)["InitConfiguration"]["bootstrapTokens"][0]["token"]
    add_node(provider, "dev")
    join = docs(provider.node("dev-worker"))["JoinConfiguration"]
    assert join["discovery"]["bootstrapToken"]["token"] == existing


def test_image_and_labels(provider: PowerFakeProvider) -> None:
    make_cluster(provider, "dev")
    assert add_node(provider, "dev", image="other/node:v2").image == "other/node:v2"
    assert provider.node("dev-worker").image == "other/node:v2"
    with pytest.raises(ConfigError) as info:
        add_node(provider, "dev", labels={"bad key!": "x"})
    assert info.value.field is not None and info.value.field.startswith("labels")
    with pytest.raises(ConfigError, match="unknown role"):
        add_node(provider, "dev", role="etcd")
    with pytest.raises(ClusterNotFoundError):
        add_node(provider, "missing")


def test_missing_image_is_an_error_naming_it(provider: PowerFakeProvider) -> None:
    make_cluster(provider, "dev")
    provider.present_images = {"local/node:v1"}
    with pytest.raises(PykindError, match="absent/node:v9"):
        add_node(provider, "dev", image="absent/node:v9")
    assert [n.name for n in provider.fake_nodes("dev")] == ["dev-control-plane"]


def test_settings_are_read_back_from_the_bootstrap_node(provider: PowerFakeProvider) -> None:
    make_cluster(
        provider,
        "six",
        networking={
            "ipFamily": "dual",
            "kubeProxyMode": "none",
            "podSubnet": "10.7.0.0/16,fd00:7::/56",
        },
    )
    cfg = recover_config(provider.node("six-control-plane"), "six")
    assert cfg.networking.ip_family == IPFamily.DUAL
    assert cfg.networking.kube_proxy_mode == ProxyMode.NONE
    assert cfg.networking.pod_subnet == "10.7.0.0/16,fd00:7::/56"
    add_node(provider, "six")
    worker = docs(provider.node("six-worker"))
    assert "KubeProxyConfiguration" not in worker
    node = provider.node("six-worker")
    assert kubelet_args(worker["JoinConfiguration"])["node-ip"] == f"{node.ipv4},{node.ipv6}"


def test_explicit_config_reapplies_its_patches(provider: PowerFakeProvider) -> None:
    from pykind.config.models import ClusterConfig

    make_cluster(provider, "dev")
    config = ClusterConfig.model_validate(
        {"kubeadmConfigPatches": ["kind: JoinConfiguration\nnodeRegistration:\n  taints: []\n"]}
    )
    add_node(provider, "dev", config=config)
    join = docs(provider.node("dev-worker"))["JoinConfiguration"]
    assert join["nodeRegistration"]["taints"] == []


# ---------------------------------------------------------------------------- remove
DRAIN = (
    "kubectl",
    "--kubeconfig=/etc/kubernetes/admin.conf",
    "drain",
    "dev-worker",
    "--ignore-daemonsets",
    "--delete-emptydir-data",
    "--force",
    "--timeout=120s",
)


def test_remove_worker_drains_deletes_and_removes_the_container(
    provider: PowerFakeProvider,
) -> None:
    make_cluster(provider, "dev", workers=1)
    worker = provider.node("dev-worker")
    operator = provider.node("dev-control-plane")

    result = remove_node(provider, "dev-worker")  # the cluster is found by the node name

    assert result.cluster == "dev"
    kubectl = operator.commands("kubectl", "--kubeconfig=/etc/kubernetes/admin.conf")
    assert kubectl[-2:] == [
        DRAIN,
        (
            "kubectl",
            "--kubeconfig=/etc/kubernetes/admin.conf",
            "delete",
            "node",
            "dev-worker",
            "--ignore-not-found",
        ),
    ]
    assert not worker.commands("kubeadm", "reset")
    assert provider.deleted == ["dev-worker"]


def test_remove_control_plane_resets_it_first_and_repoints_the_load_balancer(
    provider: PowerFakeProvider,
) -> None:
    make_cluster(provider, "ha", control_planes=3)
    target = provider.node("ha-control-plane")  # even the bootstrap one
    order: list[str] = []
    target.on(["kubeadm", "reset"], lambda n, c: order.append("reset"))
    operator = provider.node("ha-control-plane2")
    operator.on(
        ["kubectl", "--kubeconfig=/etc/kubernetes/admin.conf", "delete"],
        lambda n, c: order.append("delete"),
    )

    remove_node(provider, "ha-control-plane", cluster="ha")

    assert order == ["reset", "delete"]
    assert target.commands("kubeadm", "reset") == [("kubeadm", "reset", "-f")]
    cds = provider.node("ha-external-load-balancer").text("/home/envoy/cds.yaml")
    assert f'"{target.ipv4}"' not in cds
    assert f'"{operator.ipv4}"' in cds
    assert provider.deleted == ["ha-control-plane"]


def test_refusals(provider: PowerFakeProvider) -> None:
    make_cluster(provider, "dev", workers=1)
    with pytest.raises(PykindError, match="last control plane"):
        remove_node(provider, "dev-control-plane", cluster="dev")
    with pytest.raises(PykindError, match=r"no node 'dev-worker9' \(its nodes: "):
        remove_node(provider, "dev-worker9", cluster="dev")
    with pytest.raises(PykindError, match="no cluster has a node named 'ghost'"):
        remove_node(provider, "ghost")
    make_cluster(provider, "ha", control_planes=2)
    with pytest.raises(PykindError, match="is the load balancer"):
        remove_node(provider, "ha-external-load-balancer")
    assert provider.deleted == []


def test_drain_failure_stops_unless_forced(provider: PowerFakeProvider) -> None:
    make_cluster(provider, "dev", workers=1)
    provider.node("dev-control-plane").fail(DRAIN, stderr="cannot evict")
    with pytest.raises(PykindError, match="draining node dev-worker failed"):
        remove_node(provider, "dev-worker")
    assert provider.deleted == []
    result = remove_node(provider, "dev-worker", force=True)
    assert provider.deleted == ["dev-worker"]
    assert any("draining node dev-worker failed" in w for w in result.warnings)


def test_manager_delegates(provider: PowerFakeProvider) -> None:
    manager = make_cluster(provider, "dev")
    assert manager.add_node("dev", role="worker").name == "dev-worker"
    assert manager.remove_node("dev-worker").name == "dev-worker"


def test_wait_for_the_new_node(
    provider: PowerFakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_cluster(provider, "dev")
    bootstrap = provider.node("dev-control-plane")
    assert add_node(provider, "dev", wait=30).warnings == ()
    asked = [c for c in bootstrap.commands("kubectl") if "dev-worker" in c]
    assert asked and asked[-1][3:6] == ("get", "nodes", "dev-worker")

    clock = iter(range(0, 1000, 10))
    monkeypatch.setattr("pykind.lifecycle.nodes.monotonic", lambda: float(next(clock)))
    monkeypatch.setattr("pykind.lifecycle.nodes.sleep", lambda s: None)
    bootstrap.on(["kubectl", "--request-timeout=1s"], stdout="False")
    result = add_node(provider, "dev", wait=30)
    assert result.warnings == ("timed out waiting for node dev-worker2 to be Ready",)
