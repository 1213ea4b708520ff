"""Rendering of ``/kind/kubeadm.conf`` (no user patches).

Golden files: ``tests/unit/golden/kubeadm/<version>-<ipFamily>-<role>.yaml``. Regenerate them
after an intended change with ``PYKIND_UPDATE_GOLDENS=1 pytest tests/unit/test_kubeadm_render.py``
and review the diff.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from pykind.config.models import ClusterConfig
from pykind.errors import ConfigError, ProviderError
from pykind.kubeadm import (
    DEFAULT_TOKEN,
    NodeFacts,
    kubeadm_api_version,
    new_token,
    node_kubeadm_config,
    parse_version,
    render_kubeadm_config,
    version_from_image,
)

GOLDEN_DIR = Path(__file__).parent / "golden" / "kubeadm"
UPDATE = os.environ.get("PYKIND_UPDATE_GOLDENS") == "1"

VERSIONS = ["v1.30.0", "v1.36.1"]
FAMILIES = ["ipv4", "ipv6", "dual"]
ROLES = ["bootstrap-control-plane", "joining-control-plane", "worker"]


def cluster(text: str = "") -> ClusterConfig:
    data = yaml.safe_load(text) if text else {}
    return ClusterConfig.model_validate(
        {"kind": "Cluster", "apiVersion": "kind.x-k8s.io/v1alpha4", **(data or {})}
    )


def ha_cluster(family: str) -> ClusterConfig:
    return cluster(
        f"""
networking:
  ipFamily: {family}
nodes:
- role: control-plane
- role: control-plane
- role: worker
  labels:
    tier: backend
"""
    )


def facts_for(role: str, version: str, **over: Any) -> NodeFacts:
    index = ROLES.index(role)
    name = {
        "bootstrap-control-plane": "kind-control-plane",
        "joining-control-plane": "kind-control-plane2",
        "worker": "kind-worker",
    }[role]
    values: dict[str, Any] = {
        "node_name": name,
        "role": "worker" if role == "worker" else "control-plane",
        "ipv4": f"172.18.0.{index + 3}",
        "ipv6": f"fc00:f853:ccd:e793::{index + 3}",
        "kubernetes_version": version,
        "control_plane_endpoint": "kind-external-load-balancer:6443",
        "token": DEFAULT_TOKEN,
        "provider_name": "docker",
        "is_bootstrap_control_plane": role == "bootstrap-control-plane",
    }
    values.update(over)
    return NodeFacts(**values)


def docs(text: str) -> dict[str, dict[str, Any]]:
    parsed = [d for d in yaml.safe_load_all(text) if d]
    return {d["kind"]: d for d in parsed}


def args(value: Any) -> dict[str, str]:
    """extraArgs in either form, as a dict."""
    if value is None:
        return {}
    if isinstance(value, list):
        return {a["name"]: a["value"] for a in value}
    return dict(value)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("version", VERSIONS)
def test_golden(version: str, family: str, role: str) -> None:
    cfg = ha_cluster(family)
    text = render_kubeadm_config(cfg, cfg.nodes[ROLES.index(role)], facts_for(role, version))
    path = GOLDEN_DIR / f"{version}-{family}-{role}.yaml"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"missing golden {path.name}: run with PYKIND_UPDATE_GOLDENS=1"
    assert text == path.read_text()


def test_goldens_have_no_leftover_files() -> None:
    expected = {f"{v}-{f}-{r}.yaml" for v in VERSIONS for f in FAMILIES for r in ROLES}
    assert {p.name for p in GOLDEN_DIR.glob("*.yaml")} == expected


def test_unpatched_node_config_equals_render() -> None:
    cfg = ha_cluster("ipv4")
    facts = facts_for("worker", "v1.36.1")
    rendered = node_kubeadm_config(cfg, cfg.nodes[2], facts)
    assert rendered.text == render_kubeadm_config(cfg, cfg.nodes[2], facts)
    assert rendered.warnings == ()


def test_v1beta4_uses_argument_lists() -> None:
    cfg = ha_cluster("ipv6")
    d = docs(
        render_kubeadm_config(cfg, cfg.nodes[1], facts_for("joining-control-plane", "v1.36.1"))
    )
    cc = d["ClusterConfiguration"]
    assert cc["apiVersion"] == "kubeadm.k8s.io/v1beta4"
    assert cc["apiServer"]["extraArgs"] == [{"name": "runtime-config", "value": ""}]
    assert cc["controllerManager"]["extraArgs"] == [
        {"name": "enable-hostpath-provisioner", "value": "true"},
        {"name": "bind-address", "value": "::"},
    ]
    assert cc["scheduler"]["extraArgs"] == [{"name": "bind-address", "value": "::1"}]
    kubelet_args = d["JoinConfiguration"]["nodeRegistration"]["kubeletExtraArgs"]
    assert kubelet_args == [
        {"name": "node-ip", "value": "fc00:f853:ccd:e793::4"},
        {"name": "provider-id", "value": "kind://docker/kind/kind-control-plane2"},
        {"name": "node-labels", "value": ""},
    ]
    assert d["KubeletConfiguration"]["address"] == "::"


def test_v1beta3_uses_argument_maps_and_null_scheduler_args() -> None:
    cfg = ha_cluster("ipv4")
    text = render_kubeadm_config(cfg, cfg.nodes[0], facts_for("bootstrap-control-plane", "v1.30.0"))
    assert "scheduler:\n  extraArgs: null\n" in text
    d = docs(text)
    assert d["ClusterConfiguration"]["apiVersion"] == "kubeadm.k8s.io/v1beta3"
    assert d["InitConfiguration"]["nodeRegistration"]["kubeletExtraArgs"] == {
        "node-ip": "172.18.0.3",
        "provider-id": "kind://docker/kind/kind-control-plane",
        "node-labels": "",
    }
    assert "metadata" not in text


def test_worker_join_has_no_control_plane_section() -> None:
    cfg = ha_cluster("ipv4")
    d = docs(render_kubeadm_config(cfg, cfg.nodes[2], facts_for("worker", "v1.36.1")))
    assert "controlPlane" not in d["JoinConfiguration"]
    assert args(d["JoinConfiguration"]["nodeRegistration"]["kubeletExtraArgs"])["node-labels"] == (
        "tier=backend"
    )
    assert d["JoinConfiguration"]["discovery"]["bootstrapToken"] == {
        "apiServerEndpoint": "kind-external-load-balancer:6443",
        "token": DEFAULT_TOKEN,
        "unsafeSkipCAVerification": True,
    }


def test_bootstrap_and_joining_control_planes_render_the_same_file() -> None:
    cfg = ha_cluster("ipv4")
    one = facts_for("bootstrap-control-plane", "v1.36.1")
    other = facts_for("bootstrap-control-plane", "v1.36.1", is_bootstrap_control_plane=False)
    assert render_kubeadm_config(cfg, cfg.nodes[0], one) == render_kubeadm_config(
        cfg, cfg.nodes[0], other
    )


@pytest.mark.parametrize(
    ("service_subnet", "expected"),
    [
        ("", "172.18.0.3,fc00:f853:ccd:e793::3"),
        ("fd00:10:96::/112,10.96.0.0/16", "fc00:f853:ccd:e793::3,172.18.0.3"),
    ],
)
def test_dual_stack_node_ip_follows_primary_service_family(
    service_subnet: str, expected: str
) -> None:
    subnet = f"\n  serviceSubnet: {service_subnet}" if service_subnet else ""
    cfg = cluster(f"networking:\n  ipFamily: dual{subnet}\n")
    d = docs(
        render_kubeadm_config(cfg, cfg.nodes[0], facts_for("bootstrap-control-plane", "v1.36.1"))
    )
    assert args(d["InitConfiguration"]["nodeRegistration"]["kubeletExtraArgs"])["node-ip"] == (
        expected
    )
    assert d["InitConfiguration"]["localAPIEndpoint"]["advertiseAddress"] == expected.split(",")[0]
    # dual stack is not "IPv6 mode": no IPv6 bind addresses
    assert "address" not in d["KubeletConfiguration"]


def test_cluster_settings_reach_the_documents() -> None:
    cfg = cluster(
        """
name: demo
featureGates: {ZFeature: false, AFeature: true}
runtimeConfig: {"api/beta": "false", "api/alpha": "true"}
networking:
  apiServerAddress: 0.0.0.0
  podSubnet: 10.1.0.0/16
  serviceSubnet: 10.2.0.0/16
  kubeProxyMode: nftables
"""
    )
    facts = facts_for("bootstrap-control-plane", "v1.36.1", node_name="demo-control-plane")
    d = docs(render_kubeadm_config(cfg, cfg.nodes[0], facts))
    cc = d["ClusterConfiguration"]
    assert cc["clusterName"] == "demo"
    assert cc["apiServer"]["certSANs"] == ["localhost", "0.0.0.0"]
    assert args(cc["apiServer"]["extraArgs"]) == {
        "runtime-config": "api/alpha=true,api/beta=false",
        "feature-gates": "AFeature=true,ZFeature=false",
    }
    assert args(cc["scheduler"]["extraArgs"]) == {"feature-gates": "AFeature=true,ZFeature=false"}
    assert cc["networking"] == {"podSubnet": "10.1.0.0/16", "serviceSubnet": "10.2.0.0/16"}
    assert d["KubeletConfiguration"]["featureGates"] == {"AFeature": True, "ZFeature": False}
    proxy = d["KubeProxyConfiguration"]
    assert proxy["mode"] == "nftables"
    assert proxy["featureGates"] == {"AFeature": True, "ZFeature": False}
    assert proxy["conntrack"] == {"maxPerCore": 0, "tcpBeLiberal": True}
    provider_id = args(d["InitConfiguration"]["nodeRegistration"]["kubeletExtraArgs"])
    assert provider_id["provider-id"] == "kind://docker/demo/demo-control-plane"


def test_kube_proxy_none_drops_its_document_and_addon_phase() -> None:
    cfg = cluster("networking:\n  kubeProxyMode: none\n")
    d = docs(
        render_kubeadm_config(cfg, cfg.nodes[0], facts_for("bootstrap-control-plane", "v1.36.1"))
    )
    assert "KubeProxyConfiguration" not in d
    assert d["InitConfiguration"]["skipPhases"] == ["preflight", "addon/kube-proxy"]
    assert d["JoinConfiguration"]["skipPhases"] == ["preflight"]


def test_rootless_adds_gate_and_conntrack_opt_outs() -> None:
    cfg = cluster("networking:\n  kubeProxyMode: nftables\n")
    facts = facts_for("bootstrap-control-plane", "v1.36.1", rootless=True, provider_name="podman")
    d = docs(render_kubeadm_config(cfg, cfg.nodes[0], facts))
    assert d["KubeletConfiguration"]["featureGates"] == {"KubeletInUserNamespace": True}
    assert d["KubeProxyConfiguration"]["conntrack"] == {
        "maxPerCore": 0,
        "tcpEstablishedTimeout": "0s",
        "tcpCloseWaitTimeout": "0s",
    }
    gates = args(d["ClusterConfiguration"]["apiServer"]["extraArgs"])["feature-gates"]
    assert gates == "KubeletInUserNamespace=true"
    with pytest.raises(ConfigError, match="rootless"):
        render_kubeadm_config(
            cfg, cfg.nodes[0], facts_for("bootstrap-control-plane", "v1.21.1", rootless=True)
        )


def test_older_versions_use_older_templates() -> None:
    cfg = cluster("networking:\n  ipFamily: dual\n")
    d = docs(
        render_kubeadm_config(cfg, cfg.nodes[0], facts_for("bootstrap-control-plane", "v1.20.7"))
    )
    cc = d["ClusterConfiguration"]
    assert cc["apiVersion"] == "kubeadm.k8s.io/v1beta2"
    assert cc["featureGates"] == {"IPv6DualStack": True}
    assert d["KubeletConfiguration"]["cgroupDriver"] == "cgroupfs"
    assert "skipPhases" not in d["InitConfiguration"]


def test_missing_ipv6_address_is_a_clear_error() -> None:
    cfg = cluster("networking:\n  ipFamily: ipv6\n")
    facts = facts_for("bootstrap-control-plane", "v1.36.1", ipv6="")
    with pytest.raises(ProviderError, match="IPv6 address for node 'kind-control-plane'"):
        render_kubeadm_config(cfg, cfg.nodes[0], facts)


def test_role_mismatch_is_an_error() -> None:
    cfg = cluster()
    with pytest.raises(ConfigError, match="worker"):
        render_kubeadm_config(cfg, cfg.nodes[0], facts_for("worker", "v1.36.1"))


@pytest.mark.parametrize(
    ("version", "api"),
    [
        ("v1.36.1", "kubeadm.k8s.io/v1beta4"),
        ("v1.36.0-alpha.2.10+abcdef", "kubeadm.k8s.io/v1beta4"),
        ("1.37", "kubeadm.k8s.io/v1beta4"),
        ("v1.35.9", "kubeadm.k8s.io/v1beta3"),
        ("v1.23.0", "kubeadm.k8s.io/v1beta3"),
        ("v1.22.17", "kubeadm.k8s.io/v1beta2"),
    ],
)
def test_kubeadm_api_version(version: str, api: str) -> None:
    assert kubeadm_api_version(version) == api


@pytest.mark.parametrize("bad", ["", "latest", "v1", "v01.2.3"])
def test_bad_versions(bad: str) -> None:
    with pytest.raises(ConfigError):
        parse_version(bad)


@pytest.mark.parametrize(
    ("image", "version"),
    [
        ("kindest/node:v1.36.1@sha256:" + "a" * 64, "v1.36.1"),
        ("kindest/node:v1.30.0", "v1.30.0"),
        ("localhost:5000/node:v1.31.2", "v1.31.2"),
        ("localhost:5000/node", None),
        ("kindest/node:latest", None),
        ("kindest/node@sha256:" + "b" * 64, None),
    ],
)
def test_version_from_image(image: str, version: str | None) -> None:
    assert version_from_image(image) == version


def test_new_token_format_and_randomness() -> None:
    tokens = {new_token() for _ in range(20)}
    assert len(tokens) == 20
    assert all(re.fullmatch(r"[a-z0-9]{6}\.[a-z0-9]{16}", t) for t in tokens)
