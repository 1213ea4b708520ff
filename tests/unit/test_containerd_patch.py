"""containerd config patches: upstream kind's semantics (checked on the parsed result, since
pykind keeps the original layout), layout preservation, and patches that have no effect."""

from __future__ import annotations

from typing import Any

import pytest
import tomlkit
from hypothesis import given, settings
from hypothesis import strategies as st

from pykind.containerd import patch_containerd_config
from pykind.errors import ConfigError, PatchError
from pykind.patches import json_merge_patch

SIMPLE = """version = 2
disabled_plugins = ["restart"]
[plugins.linux]
  shim_debug = true
[plugins.cri.containerd.runtimes.runsc]
  runtime_type = "io.containerd.runsc.v1"
"""

SIMPLE_PLAIN: dict[str, Any] = {
    "version": 2,
    "disabled_plugins": ["restart"],
    "plugins": {
        "linux": {"shim_debug": True},
        "cri": {"containerd": {"runtimes": {"runsc": {"runtime_type": "io.containerd.runsc.v1"}}}},
    },
}

# shaped like the node image's config: comments, out-of-order tables
NODE_V2 = """# explicitly use v2 config format
version = 2

[proxy_plugins]
# fuse-overlayfs is used for rootless
[proxy_plugins."fuse-overlayfs"]
  type = "snapshot"
  address = "/run/containerd-fuse-overlayfs.sock"

[plugins."io.containerd.grpc.v1.cri".containerd]
  # explicitly use default snapshotter so we can sed it in entrypoint
  snapshotter = "overlayfs"
  default_runtime_name = "runc"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[plugins."io.containerd.grpc.v1.cri"]
  # use fixed sandbox image
  sandbox_image = "pause:3.10"
  tolerate_missing_hugepages_controller = true
"""

NODE_V3 = """version = 3

[plugins."io.containerd.grpc.v1.cri"]
  disable_tcp_service = true

[plugins."io.containerd.cri.v1.images"]
  snapshotter = "overlayfs"
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = "pause:3.10"
  [plugins."io.containerd.cri.v1.images".registry]
    config_path = "/etc/containerd/certs.d"

[plugins."io.containerd.cri.v1.runtime".containerd]
  default_runtime_name = "runc"
"""

OLD_MIRROR = """[plugins."io.containerd.grpc.v1.cri".registry.mirrors."localhost:5000"]
  endpoint = ["http://kind-registry:5000"]
"""


def plain(text: str) -> dict[str, Any]:
    result: dict[str, Any] = tomlkit.parse(text).unwrap()
    return result


# --- upstream's vectors (pkg/internal/patch/toml_test.go), compared as data -----------------


def test_no_patches_returns_the_text_unchanged() -> None:
    assert patch_containerd_config(SIMPLE, [], []).text == SIMPLE


@pytest.mark.parametrize(
    ("config", "merges", "ops", "match"),
    [
        ("🗿", ["a = 1"], [], "not valid TOML"),
        ('version = "five"', ["a = 1"], [], "version must be an integer"),
        ("disabled_plugins = []", ["a = 1"], [], "version"),
        (SIMPLE, ["🏰"], [], r"containerdConfigPatches\[0\] is not valid TOML"),
        (SIMPLE, [], ["🏰"], r"containerdConfigPatchesJSON6902\[0\] is not valid JSON"),
        (SIMPLE, [], ['[{"op": "remove", "path": "/fooooooo"}]'], "failed"),
        (SIMPLE, [], ['{"op": "remove"}'], "list of operations"),
    ],
)
def test_errors(config: str, merges: list[str], ops: list[str], match: str) -> None:
    with pytest.raises(PatchError, match=match):
        patch_containerd_config(config, merges, ops)


def test_only_patches_of_the_config_version_apply() -> None:
    rendered = patch_containerd_config(
        SIMPLE,
        ['version = 3\ndisabled_plugins=["bar"]', 'version = 2\n disabled_plugins=["baz"]'],
        [],
    )
    assert plain(rendered.text) == {**SIMPLE_PLAIN, "disabled_plugins": ["baz"]}
    (warning,) = rendered.warnings
    assert warning.startswith("containerdConfigPatches[0] sets version = 3")
    assert "matches nothing" in warning


def test_merge_then_6902() -> None:
    rendered = patch_containerd_config(
        SIMPLE, ['disabled_plugins=["foo"]'], ['[{"op": "remove", "path": "/disabled_plugins"}]']
    )
    expected = dict(SIMPLE_PLAIN)
    del expected["disabled_plugins"]
    assert plain(rendered.text) == expected
    assert rendered.warnings == ()


def test_registry_patch() -> None:
    patch = '[plugins.cri.registry.mirrors]\n  [plugins.cri.registry.mirrors."registry:5000"]\n'
    patch += '    endpoint = ["http://registry:5000"]'
    rendered = patch_containerd_config(SIMPLE, [patch], [])
    expected = json_merge_patch(
        SIMPLE_PLAIN,
        {
            "plugins": {
                "cri": {
                    "registry": {
                        "mirrors": {"registry:5000": {"endpoint": ["http://registry:5000"]}}
                    }
                }
            }
        },
    )
    assert plain(rendered.text) == expected


# --- layout --------------------------------------------------------------------------------


def test_untouched_parts_keep_comments_and_layout() -> None:
    rendered = patch_containerd_config(
        NODE_V2,
        [
            '[plugins."io.containerd.grpc.v1.cri".containerd]\n  snapshotter = "native"',
            OLD_MIRROR,
        ],
        [],
    )
    assert rendered.warnings == ()
    assert "# fuse-overlayfs is used for rootless\n" in rendered.text
    assert "  # use fixed sandbox image\n" in rendered.text
    assert '  snapshotter = "native"\n' in rendered.text
    data = plain(rendered.text)
    cri = data["plugins"]["io.containerd.grpc.v1.cri"]
    assert cri["containerd"]["snapshotter"] == "native"
    assert cri["registry"]["mirrors"]["localhost:5000"] == {
        "endpoint": ["http://kind-registry:5000"]
    }
    assert cri["sandbox_image"] == "pause:3.10"


def test_6902_can_remove_and_replace_inside_out_of_order_tables() -> None:
    ops = (
        '[{"op": "remove", "path": "/plugins/io.containerd.grpc.v1.cri/'
        'tolerate_missing_hugepages_controller"},'
        ' {"op": "replace", "path": "/plugins/io.containerd.grpc.v1.cri/containerd/runtimes/'
        'runc/runtime_type", "value": "io.containerd.runsc.v1"}]'
    )
    rendered = patch_containerd_config(NODE_V2, [], [ops])
    cri = plain(rendered.text)["plugins"]["io.containerd.grpc.v1.cri"]
    assert "tolerate_missing_hugepages_controller" not in cri
    assert cri["containerd"]["runtimes"]["runc"]["runtime_type"] == "io.containerd.runsc.v1"
    assert "# explicitly use v2 config format\n" in rendered.text


# --- patches without effect ------------------------------------------------------------------


def test_version_2_mirror_patch_on_containerd_2_config_is_flagged() -> None:
    rendered = patch_containerd_config(
        NODE_V3.replace(
            '[plugins."io.containerd.grpc.v1.cri"]\n  disable_tcp_service = true\n\n', ""
        ),
        [OLD_MIRROR],
        [],
    )
    (warning,) = rendered.warnings
    assert warning.startswith("containerdConfigPatches[0] only configures plugins")
    assert 'plugins."io.containerd.grpc.v1.cri"' in warning
    assert "version 3" in warning and 'plugins."io.containerd.cri.v1.images"' in warning
    with pytest.raises(PatchError, match="only configures plugins"):
        patch_containerd_config(
            NODE_V3.replace("disable_tcp_service", "x"),
            ['[plugins."io.unknown.plugin"]\n  a = 1'],
            [],
            strict=True,
        )


def test_moved_cri_settings_on_config_version_3_are_flagged() -> None:
    rendered = patch_containerd_config(NODE_V3, [OLD_MIRROR], [])
    (warning,) = rendered.warnings
    assert 'sets plugins."io.containerd.grpc.v1.cri".registry' in warning
    assert 'use plugins."io.containerd.cri.v1.images".registry' in warning
    with pytest.raises(PatchError, match="does not read there"):
        patch_containerd_config(NODE_V3, [OLD_MIRROR], [], strict=True)


def test_patch_written_for_both_config_versions_is_fine() -> None:
    both = (
        '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/certs.d"\n'
        '[plugins."io.containerd.cri.v1.images".registry]\n  config_path = "/etc/certs.d"\n'
    )
    assert patch_containerd_config(NODE_V3, [both], []).warnings == ()
    assert patch_containerd_config(NODE_V2, [both], []).warnings == ()


def test_6902_creating_an_unknown_plugin_is_flagged() -> None:
    ops = '[{"op": "add", "path": "/plugins/io.containerd.grpc.v1.cri", "value": {"a": 1}}]'
    (warning,) = patch_containerd_config(
        NODE_V3.replace(
            '[plugins."io.containerd.grpc.v1.cri"]\n  disable_tcp_service = true\n', ""
        ),
        [],
        [ops],
    ).warnings
    assert warning.startswith("containerdConfigPatchesJSON6902[0] only configures plugins")


def test_patch_that_changes_nothing_warns_but_strict_does_not_raise() -> None:
    same = (
        '[plugins."io.containerd.cri.v1.images".registry]\n'
        '  config_path = "/etc/containerd/certs.d"'
    )
    rendered = patch_containerd_config(NODE_V3, [same], [], strict=True)
    assert rendered.warnings == (
        "containerdConfigPatches[0] changes nothing in the node's containerd config.",
    )


# --- robustness ------------------------------------------------------------------------------

_keys = st.sampled_from(["a", "b", "plugins", "io.x", "k 1", "version"])
_scalars = st.one_of(
    st.integers(-5, 5), st.booleans(), st.text(max_size=5), st.lists(st.integers(0, 3), max_size=2)
)
_tables = st.recursive(
    st.dictionaries(_keys, _scalars, max_size=3),
    lambda inner: st.dictionaries(_keys, st.one_of(_scalars, inner), max_size=3),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(base=_tables, patches=st.lists(_tables, max_size=3))
def test_layout_preserving_write_is_exactly_the_merge(
    base: dict[str, Any], patches: list[dict[str, Any]]
) -> None:
    base = {k: v for k, v in base.items() if k != "version"} | {"version": 2}
    patches = [{k: v for k, v in p.items() if k != "version"} for p in patches]
    rendered = patch_containerd_config(tomlkit.dumps(base), [tomlkit.dumps(p) for p in patches], [])
    expected: Any = base
    for p in patches:
        expected = json_merge_patch(expected, p)
    assert plain(rendered.text) == expected


@settings(max_examples=150, deadline=None)
@given(
    merges=st.lists(st.text(max_size=40), max_size=2),
    ops=st.lists(
        st.one_of(
            st.text(max_size=40),
            st.sampled_from(
                [
                    '[{"op": "add", "path": "/x", "value": null}]',
                    '[{"op": "replace", "path": "", "value": 3}]',
                    '[{"op": "move", "from": "/plugins", "path": "/plugins/a"}]',
                    '[{"op": "copy", "from": "/version", "path": "/v2"}]',
                    '[{"op": "test", "path": "/version", "value": 2}]',
                    "[1]",
                    "{}",
                ]
            ),
        ),
        max_size=2,
    ),
)
def test_arbitrary_containerd_patches_only_raise_patch_errors(
    merges: list[str], ops: list[str]
) -> None:
    try:
        rendered = patch_containerd_config(NODE_V2, merges, ops)
    except ConfigError:  # PatchError is a ConfigError
        return
    tomlkit.parse(rendered.text)
