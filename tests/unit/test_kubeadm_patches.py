"""kubeadm config patches: levels, order, upstream's matching, and the "patch matches nothing"
trap (warnings, strict mode, early check)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pykind.config.models import ClusterConfig
from pykind.errors import ConfigError, PatchError
from pykind.kubeadm import DEFAULT_TOKEN, NodeFacts, check_patches_early, node_kubeadm_config
from pykind.patches import PatchApplyError

GUIDE_V1BETA2_SANS = """
kubeadmConfigPatchesJSON6902:
- group: kubeadm.k8s.io
  version: v1beta2
  kind: ClusterConfiguration
  patch: |
    - op: add
      path: /apiServer/certSANs/-
      value: my-hostname
"""

RENDERS_V1BETA4 = (
    "this node renders kubeadm.k8s.io/v1beta4: ClusterConfiguration, InitConfiguration, "
    "JoinConfiguration; kubelet.config.k8s.io/v1beta1: KubeletConfiguration; "
    "kubeproxy.config.k8s.io/v1alpha1: KubeProxyConfiguration"
)


def cluster(text: str = "") -> ClusterConfig:
    data = yaml.safe_load(text) if text else {}
    return ClusterConfig.model_validate(
        {"kind": "Cluster", "apiVersion": "kind.x-k8s.io/v1alpha4", **(data or {})}
    )


def facts(
    version: str = "v1.36.1", *, name: str = "kind-control-plane", role: str = "control-plane"
) -> NodeFacts:
    return NodeFacts(
        node_name=name,
        role=role,
        ipv4="172.18.0.2",
        ipv6="",
        kubernetes_version=version,
        control_plane_endpoint="kind-control-plane:6443",
        token=DEFAULT_TOKEN,
        provider_name="docker",
        is_bootstrap_control_plane=role == "control-plane",
    )


def docs(text: str) -> dict[str, dict[str, Any]]:
    return {d["kind"]: d for d in yaml.safe_load_all(text) if d}


def sans(text: str) -> list[str]:
    result: list[str] = docs(text)["ClusterConfiguration"]["apiServer"]["certSANs"]
    return result


# --- the trap --------------------------------------------------------------------------------


def test_guide_v1beta2_cert_sans_example_warns_with_retarget_hint() -> None:
    cfg = cluster(GUIDE_V1BETA2_SANS)
    rendered = node_kubeadm_config(cfg, cfg.nodes[0], facts())
    assert sans(rendered.text) == ["localhost", "127.0.0.1"]  # upstream ignores it too
    (warning,) = rendered.warnings
    assert warning.startswith("kubeadmConfigPatchesJSON6902[0] (cluster level) targets ")
    assert "kubeadm.k8s.io/v1beta2 ClusterConfiguration" in warning
    assert RENDERS_V1BETA4 in warning
    assert "retarget it to kubeadm.k8s.io/v1beta4: it applies cleanly" in warning.lower()


def test_guide_example_strict_raises_the_same_message() -> None:
    cfg = cluster(GUIDE_V1BETA2_SANS)
    warning = node_kubeadm_config(cfg, cfg.nodes[0], facts()).warnings[0]
    with pytest.raises(PatchError) as info:
        node_kubeadm_config(cfg, cfg.nodes[0], facts(), strict=True)
    assert str(info.value) == warning


def test_retargeted_guide_example_applies() -> None:
    cfg = cluster(GUIDE_V1BETA2_SANS.replace("v1beta2", "v1beta4"))
    rendered = node_kubeadm_config(cfg, cfg.nodes[0], facts())
    assert rendered.warnings == ()
    assert sans(rendered.text) == ["localhost", "127.0.0.1", "my-hostname"]


def test_json6902_on_map_extra_args_is_not_cleanly_retargetable() -> None:
    cfg = cluster(
        """
kubeadmConfigPatchesJSON6902:
- group: kubeadm.k8s.io
  version: v1beta3
  kind: ClusterConfiguration
  patch: |
    - op: add
      path: /controllerManager/extraArgs/v
      value: "4"
"""
    )
    (warning,) = node_kubeadm_config(cfg, cfg.nodes[0], facts()).warnings
    assert "kubeadm.k8s.io/v1beta3 ClusterConfiguration" in warning
    assert "Retargeting it to kubeadm.k8s.io/v1beta4 is not enough" in warning
    assert "lists of {name, value} pairs" in warning
    # the same patch is fine where v1beta3 is rendered
    assert node_kubeadm_config(cfg, cfg.nodes[0], facts("v1.30.0")).warnings == ()


def test_versioned_v1beta3_merge_patch_with_map_args_hints_at_list_form() -> None:
    cfg = cluster(
        """
kubeadmConfigPatches:
- |
  apiVersion: kubeadm.k8s.io/v1beta3
  kind: ClusterConfiguration
  apiServer:
    extraArgs:
      audit-log-path: /var/log/audit.log
"""
    )
    (warning,) = node_kubeadm_config(cfg, cfg.nodes[0], facts()).warnings
    assert warning.startswith("kubeadmConfigPatches[0] (cluster level) targets ")
    assert "kubeadm.k8s.io/v1beta3 ClusterConfiguration" in warning
    assert "apiServer.extraArgs use the map form" in warning
    assert "drop apiVersion" in warning


def test_versioned_merge_patch_without_args_is_cleanly_retargetable() -> None:
    cfg = cluster(
        """
kubeadmConfigPatches:
- |
  apiVersion: kubeadm.k8s.io/v1beta3
  kind: InitConfiguration
  localAPIEndpoint:
    bindPort: 7443
"""
    )
    (warning,) = node_kubeadm_config(cfg, cfg.nodes[0], facts()).warnings
    assert "Retarget it to kubeadm.k8s.io/v1beta4: it applies cleanly." in warning


def test_unversioned_map_form_patch_is_converted_without_warning() -> None:
    cfg = cluster(
        """
kubeadmConfigPatches:
- |
  kind: ClusterConfiguration
  apiServer:
    extraArgs:
      audit-log-path: /var/log/audit.log
      runtime-config: api/all=true
"""
    )
    rendered = node_kubeadm_config(cfg, cfg.nodes[0], facts())
    assert rendered.warnings == ()
    assert docs(rendered.text)["ClusterConfiguration"]["apiServer"]["extraArgs"] == [
        {"name": "runtime-config", "value": "api/all=true"},
        {"name": "audit-log-path", "value": "/var/log/audit.log"},
    ]


def test_versioned_v1beta4_patch_in_map_form_is_reported_and_strict_raises() -> None:
    cfg = cluster(
        """
kubeadmConfigPatches:
- |
  apiVersion: kubeadm.k8s.io/v1beta4
  kind: ClusterConfiguration
  scheduler:
    extraArgs:
      v: "4"
"""
    )
    rendered = node_kubeadm_config(cfg, cfg.nodes[0], facts())
    assert docs(rendered.text)["ClusterConfiguration"]["scheduler"]["extraArgs"] is None
    (warning,) = rendered.warnings
    assert "scheduler.extraArgs in the map form" in warning
    with pytest.raises(PatchError, match="map form"):
        node_kubeadm_config(cfg, cfg.nodes[0], facts(), strict=True)


def test_node_level_unmatched_patch_is_named_by_node_index() -> None:
    cfg = cluster(
        """
nodes:
- role: control-plane
- role: worker
  kubeadmConfigPatches:
  - |
    kind: JoinConfigurationn
    nodeRegistration: {}
"""
    )
    worker = facts(name="kind-worker", role="worker")
    (warning,) = node_kubeadm_config(cfg, cfg.nodes[1], worker).warnings
    assert warning.startswith("nodes[1].kubeadmConfigPatches[0] (node level) targets ")
    assert "JoinConfigurationn (any apiVersion)" in warning
    # node patches only concern their node
    assert node_kubeadm_config(cfg, cfg.nodes[0], facts()).warnings == ()


def test_kube_proxy_patch_with_kube_proxy_disabled_explains_why() -> None:
    cfg = cluster(
        """
networking:
  kubeProxyMode: none
kubeadmConfigPatches:
- |
  kind: KubeProxyConfiguration
  mode: ipvs
"""
    )
    (warning,) = node_kubeadm_config(cfg, cfg.nodes[0], facts()).warnings
    assert "kube-proxy is disabled (networking.kubeProxyMode: none)" in warning
    assert "KubeProxyConfiguration;" not in warning


def test_multi_document_merge_patch_names_the_document() -> None:
    cfg = cluster(
        """
kubeadmConfigPatches:
- |
  kind: InitConfiguration
  nodeRegistration:
    taints: []
  ---
  apiVersion: kubeadm.k8s.io/v1beta3
  kind: JoinConfiguration
  nodeRegistration:
    taints: []
"""
    )
    rendered = node_kubeadm_config(cfg, cfg.nodes[0], facts())
    (warning,) = rendered.warnings
    assert warning.startswith("kubeadmConfigPatches[0] (cluster level), document 2 targets")
    assert docs(rendered.text)["InitConfiguration"]["nodeRegistration"]["taints"] == []


# --- application -----------------------------------------------------------------------------


def test_levels_and_kinds_apply_in_upstream_order() -> None:
    cfg = cluster(
        """
kubeadmConfigPatches:
- |
  kind: ClusterConfiguration
  apiServer:
    certSANs: [a]
kubeadmConfigPatchesJSON6902:
- group: kubeadm.k8s.io
  version: v1beta4
  kind: ClusterConfiguration
  patch: |
    - op: add
      path: /apiServer/certSANs/-
      value: b
nodes:
- role: control-plane
  kubeadmConfigPatches:
  - |
    kind: ClusterConfiguration
    apiServer:
      certSANs: [c, a]
  kubeadmConfigPatchesJSON6902:
  - group: kubeadm.k8s.io
    version: ""
    kind: ClusterConfiguration
    patch: |
      - op: test
        path: /apiServer/certSANs/4
        value: c
      - op: add
        path: /apiServer/certSANs/-
        value: d
- role: worker
"""
    )
    rendered = node_kubeadm_config(cfg, cfg.nodes[0], facts())
    assert rendered.warnings == ()
    assert sans(rendered.text) == ["localhost", "127.0.0.1", "a", "b", "c", "d"]
    worker = node_kubeadm_config(cfg, cfg.nodes[1], facts(name="kind-worker", role="worker"))
    assert sans(worker.text) == ["localhost", "127.0.0.1", "a", "b"]


def test_extra_patches_apply_last_and_are_named() -> None:
    cfg = cluster("kubeadmConfigPatches:\n- |\n  kind: KubeletConfiguration\n  maxPods: 50\n")
    rendered = node_kubeadm_config(
        cfg,
        cfg.nodes[0],
        facts(),
        extra_patches=["kind: KubeletConfiguration\nmaxPods: 60\n", "kind: Nothing\n"],
    )
    assert docs(rendered.text)["KubeletConfiguration"]["maxPods"] == 60
    (warning,) = rendered.warnings
    assert warning.startswith("extra kubeadm patch [1] (from a plugin) targets Nothing")


def test_metadata_is_stripped_after_patching() -> None:
    cfg = cluster(
        "kubeadmConfigPatches:\n- |\n  kind: InitConfiguration\n  metadata:\n    name: config\n"
    )
    rendered = node_kubeadm_config(cfg, cfg.nodes[0], facts())
    assert "metadata" not in rendered.text


def test_patch_output_is_upstream_text_format() -> None:
    cfg = cluster(
        "kubeadmConfigPatches:\n- |\n  kind: KubeletConfiguration\n  serializeImagePulls: n\n"
        "  containerLogMaxSize: '10'\n"
    )
    text = node_kubeadm_config(cfg, cfg.nodes[0], facts()).text
    assert '\ncontainerLogMaxSize: "10"\n' in text
    assert "\nserializeImagePulls: false\n" in text  # YAML 1.1, as upstream reads it


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ("kubeadmConfigPatches:\n- 'a: [b'\n", r"kubeadmConfigPatches\[0\] \(cluster level\)"),
        ("kubeadmConfigPatches:\n- '- a'\n", "must be a YAML mapping"),
        ("kubeadmConfigPatches:\n- 'kind: [x]'\n", "kind must be a string"),
        (
            "kubeadmConfigPatchesJSON6902:\n- {version: v1, kind: X, patch: '[{op: nope}]'}\n",
            "invalid JSON 6902 patch",
        ),
        (
            "kubeadmConfigPatchesJSON6902:\n- {version: v1, kind: X, patch: 'op: add'}\n",
            "list of operations",
        ),
    ],
)
def test_invalid_patches_raise_patch_error(config: str, match: str) -> None:
    cfg = cluster(config)
    with pytest.raises(PatchError, match=match):
        node_kubeadm_config(cfg, cfg.nodes[0], facts())


def test_json6902_that_fails_on_its_document_raises() -> None:
    cfg = cluster(
        """
kubeadmConfigPatchesJSON6902:
- group: kubeadm.k8s.io
  version: v1beta4
  kind: ClusterConfiguration
  patch: |
    - op: remove
      path: /etcd
"""
    )
    with pytest.raises(PatchApplyError, match=r"failed on kubeadm.k8s.io/v1beta4 Cluster"):
        node_kubeadm_config(cfg, cfg.nodes[0], facts())


# --- early check -----------------------------------------------------------------------------


def test_early_check_reads_the_version_from_the_image_tag() -> None:
    cfg = cluster(
        GUIDE_V1BETA2_SANS
        + "nodes:\n- role: control-plane\n- role: worker\n- role: worker\n"
        + "  image: my/node:latest\n"
    )
    warnings = check_patches_early(cfg, None)
    assert len(warnings) == 1  # same warning for both known nodes, reported once
    assert "kubeadm.k8s.io/v1beta4" in warnings[0]
    assert check_patches_early(cfg, "v1.30.0")[0].count("kubeadm.k8s.io/v1beta3") >= 2


def test_early_check_skips_nodes_of_unknown_version() -> None:
    cfg = cluster(GUIDE_V1BETA2_SANS + "nodes:\n- role: control-plane\n  image: my/node:dev\n")
    assert check_patches_early(cfg, None) == []


def test_early_check_strict_raises_before_anything_exists() -> None:
    cfg = cluster(GUIDE_V1BETA2_SANS)
    with pytest.raises(PatchError, match=r"kubeadmConfigPatchesJSON6902\[0\] \(cluster level\)"):
        check_patches_early(cfg, None, strict=True)
    clean = cluster(GUIDE_V1BETA2_SANS.replace("v1beta2", "v1beta4"))
    assert check_patches_early(clean, None, strict=True) == []


def test_early_check_rejects_a_bad_version_and_invalid_patches() -> None:
    with pytest.raises(ConfigError):
        check_patches_early(cluster(), "not-a-version")
    with pytest.raises(PatchError):
        check_patches_early(cluster("kubeadmConfigPatches:\n- 'x: [y'\n"), "v1.36.1")


def test_early_check_ignores_failures_that_need_real_node_data() -> None:
    cfg = cluster(
        """
kubeadmConfigPatchesJSON6902:
- group: kubeadm.k8s.io
  version: v1beta4
  kind: InitConfiguration
  patch: |
    - op: test
      path: /localAPIEndpoint/advertiseAddress
      value: 192.0.2.10
"""
    )
    assert check_patches_early(cfg, None) == []


# --- robustness ------------------------------------------------------------------------------

_text = st.one_of(
    st.text(max_size=80),
    st.sampled_from(
        [
            "kind: ClusterConfiguration\napiServer:\n  extraArgs: {a: b}\n",
            "kind: InitConfiguration\n---\n- x\n",
            "[{op: add, path: /a, value: 1}]",
            '[{"op": "remove", "path": "/apiServer/certSANs/0"}]',
            "- op: replace\n  path: /kind\n  value: 7\n",
            "kind: ClusterConfiguration\napiVersion: 5\n",
            "kind: ClusterConfiguration\nkind: Init\n",
            "a: .nan\n",
            "kind: ClusterConfiguration\napiServer:\n  certSANs: [{a: 1}]\n",
            "kind: ClusterConfiguration\napiServer:\n  extraArgs: [{name: 1}, 3, {value: x}]\n",
            "kind: ClusterConfiguration\n!!binary aGk=: x\n",
            "kind: ClusterConfiguration\na: &x [*x]\n",
            "kind: ClusterConfiguration\n? [a, b]\n: c\n",
        ]
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    merge=st.lists(_text, max_size=3),
    raw_6902=st.lists(_text, max_size=2),
    kind=st.sampled_from(["ClusterConfiguration", "InitConfiguration", "", "Other"]),
    version=st.sampled_from(["v1beta4", "v1beta3", "", "v1"]),
    node_version=st.sampled_from(["v1.36.1", "v1.30.0"]),
)
def test_arbitrary_patches_only_raise_config_errors(
    merge: list[str], raw_6902: list[str], kind: str, version: str, node_version: str
) -> None:
    cfg = ClusterConfig.model_validate(
        {
            "kubeadmConfigPatches": merge,
            "kubeadmConfigPatchesJSON6902": [
                {"group": "kubeadm.k8s.io", "version": version, "kind": kind, "patch": p}
                for p in raw_6902
            ],
        }
    )
    try:
        rendered = node_kubeadm_config(cfg, cfg.nodes[0], facts(node_version))
    except ConfigError:  # PatchError is a ConfigError
        return
    assert all(isinstance(w, str) for w in rendered.warnings)
    yaml.safe_load_all(rendered.text)


@pytest.mark.parametrize(
    "raw",
    [
        "kind: ClusterConfiguration\na: &x [*x]\n",
        "kind: ClusterConfiguration\n? [a, b]\n: c\n",
        "kind: ClusterConfiguration\n!!binary aGk=: x\n",
        "kind: ClusterConfiguration\na: .inf\n",
        "kind: ClusterConfiguration\napiVersion: 5\n",
        "\t",
    ],
)
def test_odd_yaml_in_patches_is_a_patch_error(raw: str) -> None:
    cfg = ClusterConfig.model_validate({"kubeadmConfigPatches": [raw]})
    with pytest.raises(PatchError, match=r"kubeadmConfigPatches\[0\]"):
        node_kubeadm_config(cfg, cfg.nodes[0], facts())
