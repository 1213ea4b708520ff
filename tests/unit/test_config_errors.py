"""Invalid configs: each is one ConfigError naming the field (upstream names) and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from pykind.config.loader import load_config, parse_config
from pykind.config.models import ClusterConfig, Node, PortMapping
from pykind.config.problems import from_validation_error
from pykind.errors import ConfigError

HEAD = "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n"
LONG_NAME = "a" * 50
DEEP = "[" * 20000 + "]" * 20000

# (id, YAML text, expected field, text the reason must contain)
CASES: list[tuple[str, str, str | None, str]] = [
    # -- document and type meta
    ("yaml-syntax", HEAD + "nodes: [\n", None, "invalid YAML"),
    ("yaml-tab", HEAD + "nodes:\n\t- role: worker\n", None, "invalid YAML"),
    ("empty", "", None, "the config is empty"),
    ("comments-only", "# nothing\n", None, "the config is empty"),
    ("not-a-mapping", "- kind: Cluster\n", None, "must be a YAML mapping, got a list"),
    ("scalar-document", "hello\n", None, 'must be a YAML mapping, got "hello"'),
    ("two-documents", HEAD + "---\n" + HEAD, None, "single YAML document"),
    ("api-version-missing", "kind: Cluster\n", "apiVersion", "missing"),
    (
        "api-version-v1alpha3",
        "kind: Cluster\napiVersion: kind.sigs.k8s.io/v1alpha3\n",
        "apiVersion",
        "no longer supported",
    ),
    (
        "api-version-unknown",
        "kind: Cluster\napiVersion: kind.x-k8s.io/v1beta1\n",
        "apiVersion",
        'unknown apiVersion "kind.x-k8s.io/v1beta1"',
    ),
    ("api-version-list", "kind: Cluster\napiVersion: [a]\n", "apiVersion", "expected a string"),
    ("kind-missing", "apiVersion: kind.x-k8s.io/v1alpha4\n", "kind", "missing"),
    ("kind-wrong", "kind: Pod\napiVersion: kind.x-k8s.io/v1alpha4\n", "kind", 'unknown kind "Pod"'),
    ("duplicate-key", HEAD + "name: a\nname: b\n", "name", "duplicate key"),
    ("non-string-key", HEAD + "? [a]\n: 1\n", None, "mapping keys must be strings"),
    # -- unknown fields
    (
        "typo-node-field",
        HEAD + "nodes:\n- extraPortMapping: []\n",
        "nodes[0].extraPortMapping",
        "unknown field (did you mean extraPortMappings?)",
    ),
    ("typo-top-level", HEAD + "node: []\n", "node", "did you mean nodes?"),
    (
        "snake-case",
        HEAD + "nodes:\n- extraMounts: [{container_path: /a, hostPath: /b}]\n",
        "nodes[0].extraMounts[0].container_path",
        "did you mean containerPath?",
    ),
    (
        "wrong-case",
        HEAD + "networking: {podsubnet: 10.0.0.0/16}\n",
        "networking.podsubnet",
        "did you mean podSubnet?",
    ),
    (
        "field-at-wrong-level",
        HEAD + "podSubnet: 10.0.0.0/16\n",
        "podSubnet",
        "belongs under networking",
    ),
    ("node-field-at-top", HEAD + "extraMounts: []\n", "extraMounts", "belongs under each entry"),
    ("nonsense-field", HEAD + "zzzzqqq: 1\n", "zzzzqqq", "unknown field (valid fields:"),
    # -- types
    ("nodes-not-list", HEAD + "nodes: {role: worker}\n", "nodes", "expected a list, got a mapping"),
    (
        "node-not-mapping",
        HEAD + "nodes: [worker]\n",
        "nodes[0]",
        'expected a mapping, got "worker"',
    ),
    ("name-is-list", HEAD + "name: [a]\n", "name", "expected a string, got a list"),
    ("networking-scalar", HEAD + "networking: 5\n", "networking", "expected a mapping, got 5"),
    (
        "dns-search-string",
        HEAD + "networking: {dnsSearch: example.com}\n",
        "networking.dnsSearch",
        "expected a list",
    ),
    # -- name
    ("name-uppercase", HEAD + "name: Dev\n", "name", "not a valid cluster name"),
    ("name-underscore", HEAD + "name: my_cluster\n", "name", "^[a-z0-9.-]+$"),
    ("name-leading-dash", HEAD + "name: -dev\n", "name", "start with a letter or digit"),
    ("name-too-long", HEAD + f"name: {LONG_NAME}\n", "name", "too long"),
    (
        "name-too-long-for-ha",
        HEAD + f"name: {'b' * 41}\nnodes: [{{}}, {{}}]\n",
        "name",
        "external-load-balancer",
    ),
    ("name-empty-label", HEAD + "name: a..b\n", "name", "would be invalid"),
    # -- roles and nodes
    (
        "role-invalid",
        HEAD + "nodes:\n- role: control-plane\n- role: master\n",
        "nodes[1].role",
        'invalid value "master"',
    ),
    (
        "no-control-plane",
        HEAD + "nodes:\n- role: worker\n",
        "nodes",
        "at least one control-plane node",
    ),
    (
        "image-with-space",
        HEAD + "nodes:\n- image: kindest/node latest\n",
        "nodes[0].image",
        "not a valid image reference",
    ),
    # -- networking
    (
        "ip-family-invalid",
        HEAD + "networking: {ipFamily: ipv5}\n",
        "networking.ipFamily",
        'invalid value "ipv5"',
    ),
    (
        "pod-subnet-no-prefix",
        HEAD + "networking: {podSubnet: 10.244.0.0}\n",
        "networking.podSubnet",
        "is not a CIDR",
    ),
    (
        "pod-subnet-bad-address",
        HEAD + "networking: {podSubnet: 300.1.0.0/16}\n",
        "networking.podSubnet",
        "not a valid CIDR",
    ),
    (
        "service-subnet-bad-prefix",
        HEAD + "networking: {serviceSubnet: 10.96.0.0/33}\n",
        "networking.serviceSubnet",
        "not a valid CIDR",
    ),
    (
        "ipv4-family-ipv6-subnet",
        HEAD + "networking: {podSubnet: 'fd00::/56'}\n",
        "networking.podSubnet",
        "expected an IPv4 CIDR for ipFamily ipv4",
    ),
    (
        "ipv6-family-ipv4-subnet",
        HEAD + "networking: {ipFamily: ipv6, serviceSubnet: 10.96.0.0/16}\n",
        "networking.serviceSubnet",
        "expected an IPv6 CIDR for ipFamily ipv6",
    ),
    (
        "dual-one-family",
        HEAD + "networking: {ipFamily: dual, podSubnet: 10.244.0.0/16}\n",
        "networking.podSubnet",
        "needs one IPv4 and one IPv6",
    ),
    (
        "dual-two-ipv4",
        HEAD + "networking: {ipFamily: dual, podSubnet: '10.1.0.0/16,10.2.0.0/16'}\n",
        "networking.podSubnet",
        "needs one IPv4 and one IPv6",
    ),
    (
        "single-stack-two-cidrs",
        HEAD + "networking: {podSubnet: '10.1.0.0/16,fd00::/56'}\n",
        "networking.podSubnet",
        "only one CIDR allowed",
    ),
    (
        "subnets-overlap",
        HEAD + "networking: {podSubnet: 10.0.0.0/8, serviceSubnet: 10.96.0.0/16}\n",
        "networking.serviceSubnet",
        "overlaps the pod subnet",
    ),
    (
        "api-port-too-big",
        HEAD + "networking: {apiServerPort: 70000}\n",
        "networking.apiServerPort",
        "invalid port number 70000",
    ),
    (
        "api-port-negative",
        HEAD + "networking: {apiServerPort: -2}\n",
        "networking.apiServerPort",
        "invalid port number -2",
    ),
    (
        "api-port-quoted",
        HEAD + "networking: {apiServerPort: '6443'}\n",
        "networking.apiServerPort",
        'expected an integer, got the string "6443" (remove the quotes)',
    ),
    (
        "api-port-float",
        HEAD + "networking: {apiServerPort: 6443.5}\n",
        "networking.apiServerPort",
        "expected an integer",
    ),
    (
        "api-address-hostname",
        HEAD + "networking: {apiServerAddress: localhost}\n",
        "networking.apiServerAddress",
        '"localhost" is not an IP address',
    ),
    (
        "kube-proxy-mode",
        HEAD + "networking: {kubeProxyMode: userspace}\n",
        "networking.kubeProxyMode",
        'invalid value "userspace"',
    ),
    (
        "disable-cni-not-bool",
        HEAD + "networking: {disableDefaultCNI: 'true'}\n",
        "networking.disableDefaultCNI",
        "expected a boolean",
    ),
    # -- port mappings
    (
        "host-port-too-big",
        HEAD + "nodes:\n- extraPortMappings: [{containerPort: 80, hostPort: 65536}]\n",
        "nodes[0].extraPortMappings[0].hostPort",
        "invalid port number 65536",
    ),
    (
        "container-port-zero",
        HEAD + "nodes:\n- extraPortMappings: [{containerPort: 0}]\n",
        "nodes[0].extraPortMappings[0].containerPort",
        "invalid port number 0 (must be 1-65535)",
    ),
    (
        "container-port-missing",
        HEAD + "nodes:\n- extraPortMappings: [{hostPort: 80}]\n",
        "nodes[0].extraPortMappings[0].containerPort",
        "required field missing",
    ),
    (
        "listen-address-hostname",
        HEAD + "nodes:\n- extraPortMappings: [{containerPort: 80, listenAddress: myhost}]\n",
        "nodes[0].extraPortMappings[0].listenAddress",
        "not an IP address",
    ),
    (
        "protocol-invalid",
        HEAD + "nodes:\n- extraPortMappings: [{containerPort: 80, protocol: icmp}]\n",
        "nodes[0].extraPortMappings[0].protocol",
        'invalid value "ICMP"',
    ),
    (
        "duplicate-port-same-node",
        HEAD + "nodes:\n- extraPortMappings:\n  - {containerPort: 80, hostPort: 80}\n"
        "  - {containerPort: 81, hostPort: 80}\n",
        "nodes[0].extraPortMappings[1].hostPort",
        "already used by nodes[0].extraPortMappings[0]",
    ),
    (
        "duplicate-port-across-nodes",
        HEAD + "nodes:\n- extraPortMappings: [{containerPort: 80, hostPort: 80}]\n"
        "- role: worker\n  extraPortMappings: [{containerPort: 80, hostPort: 80}]\n",
        "nodes[1].extraPortMappings[0].hostPort",
        "host port 80/TCP on 0.0.0.0 is already used",
    ),
    (
        "wildcard-overlaps-specific",
        HEAD + "nodes:\n- extraPortMappings:\n"
        "  - {containerPort: 80, hostPort: 80, listenAddress: 127.0.0.1}\n"
        "  - {containerPort: 80, hostPort: 80, listenAddress: '::'}\n",
        "nodes[0].extraPortMappings[1].hostPort",
        "already used",
    ),
    (
        "port-clashes-with-api-server",
        HEAD + "networking: {apiServerPort: 6443}\n"
        "nodes:\n- extraPortMappings: [{containerPort: 6443, hostPort: 6443}]\n",
        "nodes[0].extraPortMappings[0].hostPort",
        "already used by networking.apiServerPort",
    ),
    # -- mounts
    (
        "mount-relative-container-path",
        HEAD + "nodes:\n- extraMounts: [{hostPath: /a, containerPath: data}]\n",
        "nodes[0].extraMounts[0].containerPath",
        "must be an absolute path",
    ),
    (
        "mount-host-path-missing",
        HEAD + "nodes:\n- extraMounts: [{containerPath: /a}]\n",
        "nodes[0].extraMounts[0].hostPath",
        "required field missing",
    ),
    (
        "mount-host-path-empty",
        HEAD + "nodes:\n- extraMounts: [{containerPath: /a, hostPath: ''}]\n",
        "nodes[0].extraMounts[0].hostPath",
        "must not be empty",
    ),
    (
        "mount-propagation",
        HEAD + "nodes:\n- extraMounts: [{containerPath: /a, hostPath: /b, propagation: Shared}]\n",
        "nodes[0].extraMounts[0].propagation",
        'invalid value "Shared"',
    ),
    (
        "mount-read-only-maybe",
        HEAD + "nodes:\n- extraMounts: [{containerPath: /a, hostPath: /b, readOnly: maybe}]\n",
        "nodes[0].extraMounts[0].readOnly",
        'expected a boolean (true or false), got "maybe"',
    ),
    # -- labels and feature gates
    (
        "label-key-space",
        HEAD + "nodes:\n- labels: {'bad key': x}\n",
        'nodes[0].labels["bad key"]',
        'invalid label key "bad key"',
    ),
    (
        "label-key-bad-prefix",
        HEAD + "nodes:\n- labels: {'Example.COM/x': y}\n",
        'nodes[0].labels["Example.COM/x"]',
        "the prefix must be a DNS subdomain",
    ),
    (
        "label-value-too-long",
        HEAD + f"nodes:\n- labels: {{tier: {'v' * 64}}}\n",
        "nodes[0].labels.tier",
        "invalid label value",
    ),
    (
        "label-value-bad-char",
        HEAD + "nodes:\n- labels: {tier: 'a b'}\n",
        "nodes[0].labels.tier",
        'invalid label value "a b"',
    ),
    (
        "feature-gate-not-bool",
        HEAD + "featureGates: {Foo: maybe}\n",
        "featureGates.Foo",
        'expected a boolean (true or false), got "maybe"',
    ),
    (
        "feature-gates-list",
        HEAD + "featureGates: [Foo]\n",
        "featureGates",
        "expected a mapping, got a list",
    ),
    # -- patches
    (
        "merge-patch-as-mapping",
        HEAD + "kubeadmConfigPatches:\n- kind: ClusterConfiguration\n",
        "kubeadmConfigPatches[0]",
        "write the patch as a string",
    ),
    (
        "merge-patch-not-mapping",
        HEAD + "kubeadmConfigPatches:\n- just text\n",
        "kubeadmConfigPatches[0]",
        "must be a YAML mapping",
    ),
    (
        "merge-patch-bad-yaml",
        HEAD + "nodes:\n- kubeadmConfigPatches: ['kind: [']\n",
        "nodes[0].kubeadmConfigPatches[0]",
        "not valid YAML",
    ),
    (
        "json6902-bad-op",
        HEAD + "kubeadmConfigPatchesJSON6902:\n- kind: ClusterConfiguration\n"
        "  patch: '[{op: addd, path: /a, value: 1}]'\n",
        "kubeadmConfigPatchesJSON6902[0].patch",
        "invalid JSON 6902 patch: Unknown operation 'addd'",
    ),
    (
        "json6902-not-list",
        HEAD + "kubeadmConfigPatchesJSON6902:\n- kind: ClusterConfiguration\n  patch: 'op: add'\n",
        "kubeadmConfigPatchesJSON6902[0].patch",
        "must be a list of operations",
    ),
    (
        "json6902-not-yaml",
        HEAD + "nodes:\n- kubeadmConfigPatchesJSON6902:\n  - kind: ClusterConfiguration\n"
        "    patch: '[{op: add'\n",
        "nodes[0].kubeadmConfigPatchesJSON6902[0].patch",
        "patch is not valid YAML or JSON",
    ),
    (
        "json6902-bad-path",
        HEAD + "kubeadmConfigPatchesJSON6902:\n- kind: ClusterConfiguration\n"
        "  patch: '[{op: remove, path: a}]'\n",
        "kubeadmConfigPatchesJSON6902[0].patch",
        "invalid JSON 6902 patch",
    ),
    (
        "json6902-kind-missing",
        HEAD + "kubeadmConfigPatchesJSON6902:\n- patch: '[]'\n",
        "kubeadmConfigPatchesJSON6902[0].kind",
        "required field missing",
    ),
    (
        "containerd-toml",
        HEAD + "containerdConfigPatches:\n- '[plugins'\n",
        "containerdConfigPatches[0]",
        "not valid TOML",
    ),
    (
        "containerd-json6902",
        HEAD + "containerdConfigPatchesJSON6902:\n- '{}'\n",
        "containerdConfigPatchesJSON6902[0]",
        "must be a list of operations",
    ),
    (
        "containerd-json6902-too-deep",
        HEAD + f"containerdConfigPatchesJSON6902: ['{DEEP}']\n",
        "containerdConfigPatchesJSON6902[0]",
        "nested too deeply",
    ),
    (
        "merge-patch-too-deep",
        HEAD + f"kubeadmConfigPatches: ['kind: X\n\n  a: {DEEP}']\n",
        "kubeadmConfigPatches[0]",
        "nested too deeply",
    ),
    (
        "json6902-too-deep",
        HEAD + f"kubeadmConfigPatchesJSON6902: [{{kind: X, patch: '{DEEP}'}}]\n",
        "kubeadmConfigPatchesJSON6902[0].patch",
        "nested too deeply",
    ),
    # -- merge keys
    (
        "merge-key-scalar",
        HEAD + "networking:\n  <<: 5\n",
        "networking",
        "merge key (<<) needs a mapping",
    ),
    ("recursive-merge", HEAD + "networking: &n\n  <<: *n\n", "networking", "recursive merge"),
]


@pytest.mark.parametrize(
    ("text", "field", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_invalid_config(text: str, field: str | None, reason: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text)
    err = info.value
    assert err.field == field
    assert reason in err.reason
    message = str(err)
    assert message == (f"{field}: {err.reason}" if field else err.reason)
    assert "\n" not in message and "\r" not in message
    assert "Traceback" not in message and "pydantic" not in message.lower()


def test_table_is_large_and_ids_unique() -> None:
    assert len(CASES) >= 30
    assert len({c[0] for c in CASES}) == len(CASES)


def test_each_case_is_valid_without_its_mistake() -> None:
    """Negative control: the header alone is valid, so each case fails for its own reason."""
    assert parse_config(HEAD).config.name == "kind"


def test_file_errors_do_not_hide_field_paths(tmp_path: Path) -> None:
    path = tmp_path / "kind.yaml"
    path.write_text(HEAD + "nodes:\n- role: worker\n- role: boss\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.field == "nodes[1].role"


def test_user_values_are_shown_on_one_line() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(HEAD + 'nodes:\n- role: "a\\nb"\n')
    assert "\n" not in str(info.value)
    assert '"a\\nb"' in str(info.value)


# -- pydantic errors from configs built in code ---------------------------------------------------


def test_validation_error_uses_upstream_names() -> None:
    with pytest.raises(ValidationError) as info:
        ClusterConfig.model_validate({"nodes": [{"extraPortMappings": [{"containerPort": 0}]}]})
    err = from_validation_error(info.value, ClusterConfig)
    assert err.field == "nodes[0].extraPortMappings[0].containerPort"
    assert err.reason == "invalid port number 0 (must be 1-65535)"


def test_validation_error_from_snake_case_construction() -> None:
    with pytest.raises(ValidationError) as info:
        Node(extra_port_mappings=[PortMapping(container_port=80, listen_address="x")])
    err = from_validation_error(info.value, PortMapping)
    assert err.field == "listenAddress"


def test_validation_error_for_extra_field_suggests() -> None:
    with pytest.raises(ValidationError) as info:
        ClusterConfig.model_validate({"networking": {"podSubnets": "10.0.0.0/16"}})
    err = from_validation_error(info.value, ClusterConfig)
    assert err.field == "networking.podSubnets"
    assert err.reason == "unknown field (did you mean podSubnet?)"


def test_changed_config_is_validated_again() -> None:
    from pykind.config.loader import prepare_config

    cfg = ClusterConfig()
    cfg.nodes[0].extra_port_mappings.append(PortMapping(container_port=80))
    cfg.nodes[0].extra_port_mappings[0].host_port = 99999  # no validation on assignment
    with pytest.raises(ConfigError) as info:
        prepare_config(cfg)
    assert info.value.field == "nodes[0].extraPortMappings[0].hostPort"
