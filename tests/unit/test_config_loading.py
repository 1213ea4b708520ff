"""Loading valid configs: upstream's defaults, flag overrides, sources, yaml.v3 scalar rules."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from pykind.config.loader import (
    DEFAULTS_SOURCE,
    STDIN_SOURCE,
    LoadedConfig,
    cluster_name_override,
    load_config,
    parse_config,
    prepare_config,
    resolve_cluster_name,
    validate_cluster_name,
)
from pykind.config.models import (
    DEFAULT_NODE_IMAGE,
    ClusterConfig,
    IPFamily,
    MountPropagation,
    Node,
    NodeRole,
    PortProtocol,
    ProxyMode,
)
from pykind.errors import ConfigError

HEAD = "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n"


def load(body: str = "", **kwargs: str) -> LoadedConfig:
    return parse_config(HEAD + body, **kwargs)


# -- defaults -----------------------------------------------------------------------------------


def test_default_config_is_upstreams() -> None:
    loaded = load_config(None)
    cfg = loaded.config
    assert loaded.source == DEFAULTS_SOURCE
    assert loaded.config_dir is None
    assert loaded.warnings == ()
    assert cfg.name == "kind"
    assert [n.role for n in cfg.nodes] == [NodeRole.CONTROL_PLANE]
    assert cfg.nodes[0].image == DEFAULT_NODE_IMAGE
    net = cfg.networking
    assert net.ip_family == IPFamily.IPV4
    assert net.pod_subnet == "10.244.0.0/16"
    assert net.service_subnet == "10.96.0.0/16"
    assert net.api_server_address == "127.0.0.1"
    assert net.api_server_port == 0  # random port picked at creation
    assert net.kube_proxy_mode == ProxyMode.IPTABLES
    assert net.disable_default_cni is False


def test_default_image_is_pinned_by_digest() -> None:
    repo, _, digest = DEFAULT_NODE_IMAGE.partition("@")
    assert repo.startswith("kindest/node:v")
    assert digest.startswith("sha256:") and len(digest) == len("sha256:") + 64


@pytest.mark.parametrize("source", [None, ""])
def test_no_source_means_defaults(source: str | None) -> None:
    assert load_config(source).config == load_config(None).config


def test_minimal_file_equals_defaults(tmp_path: Path) -> None:
    path = tmp_path / "kind.yaml"
    path.write_text(HEAD)
    loaded = load_config(path)
    assert loaded.config == load_config(None).config
    assert loaded.source == str(path)
    assert loaded.config_dir == tmp_path.resolve()


@pytest.mark.parametrize(
    ("family", "pods", "services", "address"),
    [
        ("ipv4", "10.244.0.0/16", "10.96.0.0/16", "127.0.0.1"),
        ("ipv6", "fd00:10:244::/56", "fd00:10:96::/112", "::1"),
        ("dual", "10.244.0.0/16,fd00:10:244::/56", "10.96.0.0/16,fd00:10:96::/112", "127.0.0.1"),
    ],
)
def test_defaults_by_ip_family(family: str, pods: str, services: str, address: str) -> None:
    net = load(f"networking:\n  ipFamily: {family}\n").config.networking
    assert (net.pod_subnet, net.service_subnet, net.api_server_address) == (
        pods,
        services,
        address,
    )


@pytest.mark.parametrize(("family", "address"), [("ipv4", "0.0.0.0"), ("ipv6", "::")])
def test_port_mapping_listen_address_defaults_by_family(family: str, address: str) -> None:
    cfg = load(
        f"networking: {{ipFamily: {family}}}\n"
        "nodes:\n- extraPortMappings: [{containerPort: 80}]\n"
    ).config
    mapping = cfg.nodes[0].extra_port_mappings[0]
    assert mapping.listen_address == address
    assert mapping.host_port == 0
    assert mapping.protocol == PortProtocol.TCP


def test_empty_node_list_defaults_to_one_control_plane() -> None:
    cfg = load("nodes: []\n").config
    assert [n.role for n in cfg.nodes] == [NodeRole.CONTROL_PLANE]


def test_empty_values_mean_defaults_as_upstream() -> None:
    cfg = load('nodes:\n- role: ""\n  image: ""\n- ~\nnetworking:\n  ipFamily: ""\n').config
    assert [n.role for n in cfg.nodes] == [NodeRole.CONTROL_PLANE, NodeRole.CONTROL_PLANE]
    assert {n.image for n in cfg.nodes} == {DEFAULT_NODE_IMAGE}
    assert cfg.networking.ip_family == IPFamily.IPV4


def test_null_values_mean_unset() -> None:
    cfg = load("name: ~\nnodes:\nnetworking:\nfeatureGates: ~\n").config
    assert cfg == load_config(None).config


# -- names and overrides ------------------------------------------------------------------------


def test_config_name_is_used() -> None:
    assert load("name: dev\n").config.name == "dev"


def test_name_flag_overrides_config_name() -> None:
    assert load("name: dev\n", name="other").config.name == "other"


def test_name_flag_replaces_an_invalid_config_name() -> None:
    # upstream replaces the name before validating
    assert load("name: Not_Valid\n", name="ok").config.name == "ok"


def test_invalid_name_flag_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as info:
        load_config(None, name="Bad_Name")
    assert info.value.field == "name"


def test_resolve_cluster_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KIND_CLUSTER_NAME", raising=False)
    assert resolve_cluster_name(None) == "kind"
    assert resolve_cluster_name("flag") == "flag"
    assert cluster_name_override(None) is None
    monkeypatch.setenv("KIND_CLUSTER_NAME", "from-env")
    assert resolve_cluster_name(None) == "from-env"
    assert resolve_cluster_name("flag") == "flag"
    assert cluster_name_override(None) == "from-env"
    assert load("name: dev\n", name=cluster_name_override(None) or "").config.name == "from-env"


def test_validate_cluster_name() -> None:
    assert validate_cluster_name("dev-1.x") == "dev-1.x"
    with pytest.raises(ConfigError) as info:
        validate_cluster_name("UPPER")
    assert info.value.field == "name"
    assert "^[a-z0-9.-]+$" in info.value.reason


def test_image_flag_replaces_every_node_image() -> None:
    loaded = load(
        "nodes:\n- role: control-plane\n  image: a/b:1\n- role: worker\n", image="kindest/node:v9"
    )
    assert [n.image for n in loaded.config.nodes] == ["kindest/node:v9", "kindest/node:v9"]
    assert load_config(None, image="x/y:z").config.nodes[0].image == "x/y:z"


def test_invalid_image_flag_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as info:
        load_config(None, image="has space")
    assert info.value.field == "nodes[0].image"


# -- sources ------------------------------------------------------------------------------------


def test_dash_reads_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(HEAD + "name: piped\n"))
    loaded = load_config("-")
    assert loaded.config.name == "piped"
    assert loaded.source == STDIN_SOURCE
    assert loaded.config_dir is None


def test_text_and_binary_streams() -> None:
    assert load_config(io.StringIO(HEAD + "name: s1\n")).config.name == "s1"
    assert load_config(io.BytesIO((HEAD + "name: s2\n").encode())).config.name == "s2"


def test_path_given_as_str(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(HEAD + "name: from-file\n")
    assert load_config(str(path)).config.name == "from-file"


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + (HEAD + "name: bom\n").encode())
    assert load_config(path).config.name == "bom"


@pytest.mark.parametrize("what", ["missing", "directory", "binary"])
def test_unreadable_files_name_the_file(tmp_path: Path, what: str) -> None:
    path = tmp_path / "c.yaml"
    if what == "directory":
        path.mkdir()
    elif what == "binary":
        path.write_bytes(b"\xff\xfe\xfa\x00kind")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in str(info.value)
    assert info.value.field is None


def test_trailing_empty_documents_are_ignored() -> None:
    assert load("name: docs\n---\n").config.name == "docs"
    assert parse_config("---\n" + HEAD + "name: lead\n").config.name == "lead"


def test_config_object_is_prepared_without_being_changed() -> None:
    original = ClusterConfig(name="", nodes=[Node(role=NodeRole.WORKER), Node()])
    loaded = prepare_config(original, name="obj")
    assert loaded.config.name == "obj"
    assert original.name == ""
    assert loaded.source == "<object>"


# -- yaml.v3 semantics --------------------------------------------------------------------------


def test_string_fields_take_the_text_as_written() -> None:
    cfg = load(
        "nodes:\n- labels: {tier: 1.10, on: yes, n: 010}\n"
        "runtimeConfig: {api/alpha: false, v: 1e3}\n"
    ).config
    assert cfg.nodes[0].labels == {"tier": "1.10", "on": "yes", "n": "010"}
    assert cfg.runtime_config == {"api/alpha": "false", "v": "1e3"}


def test_bool_fields_accept_yaml_1_1_booleans_like_yaml_v3() -> None:
    cfg = load(
        "networking: {disableDefaultCNI: yes}\n"
        "featureGates: {A: on, B: Off, C: true}\n"
        "nodes:\n- extraMounts: [{hostPath: /a, containerPath: /b, readOnly: Y}]\n"
    ).config
    assert cfg.networking.disable_default_cni is True
    assert cfg.feature_gates == {"A": True, "B": False, "C": True}
    assert cfg.nodes[0].extra_mounts[0].read_only is True


def test_integer_forms() -> None:
    cfg = load("networking: {apiServerPort: 0x1A0B}\n").config
    assert cfg.networking.api_server_port == 0x1A0B


def test_protocol_is_case_insensitive() -> None:
    cfg = load("nodes:\n- extraPortMappings: [{containerPort: 53, protocol: udp}]\n").config
    assert cfg.nodes[0].extra_port_mappings[0].protocol == PortProtocol.UDP


def test_merge_keys_and_anchors() -> None:
    cfg = load(
        "nodes:\n- &cp {role: control-plane, labels: {a: b}}\n- <<: *cp\n  role: worker\n- *cp\n"
    ).config
    assert [n.role for n in cfg.nodes] == [
        NodeRole.CONTROL_PLANE,
        NodeRole.WORKER,
        NodeRole.CONTROL_PLANE,
    ]
    assert all(n.labels == {"a": "b"} for n in cfg.nodes)


# -- a full config ------------------------------------------------------------------------------

FULL = """
name: full
featureGates:
  CSIMigration: true
runtimeConfig:
  "api/alpha": "false"
networking:
  ipFamily: dual
  apiServerAddress: 127.0.0.1
  apiServerPort: 6443
  podSubnet: 10.240.0.0/16,fd00:10:240::/56
  serviceSubnet: 10.100.0.0/16,fd00:10:100::/112
  disableDefaultCNI: true
  kubeProxyMode: ipvs
  dnsSearch: [example.test]
kubeadmConfigPatches:
- |
  kind: ClusterConfiguration
  apiServer:
    extraArgs:
      v: "4"
kubeadmConfigPatchesJSON6902:
- group: kubeadm.k8s.io
  version: v1beta3
  kind: ClusterConfiguration
  patch: |
    - op: add
      path: /apiServer/certSANs/-
      value: my-hostname
containerdConfigPatches:
- |-
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "/etc/containerd/certs.d"
containerdConfigPatchesJSON6902:
- '[{"op": "remove", "path": "/version"}]'
nodes:
- role: control-plane
  labels:
    app.kubernetes.io/part-of: demo
    ingress-ready: "true"
  extraPortMappings:
  - containerPort: 80
    hostPort: 8080
    listenAddress: 127.0.0.1
    protocol: TCP
  - containerPort: 80
    hostPort: 8080
    listenAddress: 127.0.0.2
  - containerPort: 53
    hostPort: 8080
    protocol: UDP
  - containerPort: 443
  - containerPort: 444
  - containerPort: 445
    hostPort: -1
  extraMounts:
  - hostPath: ./data
    containerPath: /data
    readOnly: true
    selinuxRelabel: false
    propagation: HostToContainer
- role: control-plane
- role: control-plane
- role: worker
  image: kindest/node:v1.30.0
  kubeadmConfigPatches:
  - |
    kind: JoinConfiguration
- role: worker
"""


def test_full_config_loads() -> None:
    loaded = load(FULL)
    cfg = loaded.config
    assert loaded.warnings == ()
    assert cfg.name == "full"
    assert len(cfg.control_planes) == 3 and len(cfg.workers) == 2
    assert cfg.networking.kube_proxy_mode == ProxyMode.IPVS
    assert cfg.networking.dns_search == ["example.test"]
    assert cfg.nodes[0].extra_mounts[0].propagation == MountPropagation.HOST_TO_CONTAINER
    assert cfg.nodes[3].image == "kindest/node:v1.30.0"
    assert cfg.nodes[4].image == DEFAULT_NODE_IMAGE
    assert cfg.kubeadm_config_patches_json6902[0].group == "kubeadm.k8s.io"
    assert cfg.runtime_config == {"api/alpha": "false"}
    # the upstream (camelCase) form round-trips through the loader
    import yaml

    again = parse_config(yaml.safe_dump(cfg.to_yaml_dict())).config
    assert again == cfg


def test_full_config_plans_upstream_node_names() -> None:
    from pykind.runtime.plan import plan_nodes

    plan = plan_nodes(load(FULL).config)
    assert [n.name for n in plan.nodes] == [
        "full-external-load-balancer",
        "full-control-plane",
        "full-control-plane2",
        "full-control-plane3",
        "full-worker",
        "full-worker2",
    ]


def test_engine_picked_ports_become_random_ports() -> None:
    cfg = load(
        "networking: {apiServerPort: -1}\n"
        "nodes:\n- extraPortMappings: [{containerPort: 80, hostPort: -1}]\n"
    ).config
    assert cfg.networking.api_server_port == 0
    assert cfg.nodes[0].extra_port_mappings[0].host_port == 0


def test_random_host_ports_never_conflict() -> None:
    body = "nodes:\n" + "".join(
        f"- extraPortMappings: [{{containerPort: 80, hostPort: {port}}}]\n"
        for port in (0, 0, -1, -1)
    )
    assert len(load(body).config.nodes) == 4


def test_same_host_port_on_other_protocol_or_address_is_fine() -> None:
    body = (
        "nodes:\n- extraPortMappings:\n"
        "  - {containerPort: 80, hostPort: 80, listenAddress: 127.0.0.1}\n"
        "  - {containerPort: 80, hostPort: 80, listenAddress: 127.0.0.2}\n"
        "  - {containerPort: 80, hostPort: 80, listenAddress: '::1'}\n"
        "  - {containerPort: 80, hostPort: 80, protocol: SCTP}\n"
    )
    assert len(load(body).config.nodes[0].extra_port_mappings) == 4


# -- warnings -----------------------------------------------------------------------------------


@pytest.mark.parametrize("address", ["0.0.0.0", "192.168.1.10", "::"])
def test_non_loopback_api_server_address_warns(address: str) -> None:
    loaded = load(f"networking: {{apiServerAddress: '{address}'}}\n")
    assert len(loaded.warnings) == 1
    assert "apiServerAddress" in loaded.warnings[0] and address in loaded.warnings[0]


@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.0.2", "::1"])
def test_loopback_api_server_address_does_not_warn(address: str) -> None:
    assert load(f"networking: {{apiServerAddress: '{address}'}}\n").warnings == ()
