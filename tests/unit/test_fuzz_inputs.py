"""Hostile values in a cluster config — shell metacharacters, spaces, unicode, path traversal in
names, labels, mount paths, listen addresses and image names — are rejected by validation with
a clear ConfigError, or reach the engine verbatim as data (API fields, argv items): never
interpreted, never split into something else.

What reaches the engine is checked on the provider's container plan (``plan_containers``, the
engine-neutral ``docker run`` of upstream), including the ``source:target:options`` bind
strings Docker parses.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pykind.config.loader import parse_config
from pykind.errors import ConfigError, PykindError
from pykind.kubeadm.config import NodeFacts, node_kubeadm_config
from pykind.runtime.engine import EngineProvider
from pykind.runtime.labels import CLUSTER_LABEL
from pykind.runtime.plan import plan_nodes

FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

NASTY = [
    "$(touch /tmp/pwned)",
    "`id`",
    "a;rm -rf /",
    "a && b",
    "a|b",
    "a b",
    "a\nb",
    "a\tb",
    "'",
    '"',
    "\\",
    "../../etc",
    "/../../etc/shadow",
    "a:b",
    "a,b",
    "a=b",
    "*",
    "~root",
    "-rf",
    "--privileged",
    "é",
    "☃",
    "\u202e",
    "\x00",
    "",
]
HOSTILE = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=16),
    st.builds(lambda a, b: a + b, st.sampled_from(NASTY), st.text(max_size=6)),
)


class PlanOnly(EngineProvider):
    """The engine provider's planning without an engine (no SDK, no daemon)."""

    name = "docker"
    container_env = "docker"

    def _needs_fuse(self) -> bool:
        return False

    def _needs_dev_mapper(self) -> bool:
        return False

    def _engine_proxy_env(self) -> dict[str, str]:
        return {}


def docker_bind_parts(spec: str) -> list[str]:
    """How Docker splits a ``--volume`` / ``Binds`` string (Linux): on every colon."""
    return spec.split(":")


def load(doc: dict[str, Any]) -> Any:
    """The validated, defaulted config for ``doc`` (a ConfigError when invalid)."""
    import yaml

    text = yaml.safe_dump({"kind": "Cluster", "apiVersion": "kind.x-k8s.io/v1alpha4", **doc})
    return parse_config(text, source="fuzz").config


def plan_of(config: Any, base: Path) -> list[Any]:
    plan = plan_nodes(config, config_dir=base)
    return PlanOnly().plan_containers(plan, "kind")


def ok_or_config_error(doc: dict[str, Any], base: Path) -> list[Any] | None:
    """The container requests, or None when rejected with a clear ConfigError."""
    try:
        return plan_of(load(doc), base)
    except ConfigError as exc:
        assert str(exc).strip(), "a rejection must say why"
        assert "Traceback" not in str(exc)
        return None


@FUZZ
@given(name=HOSTILE)
def test_cluster_names(name: str, tmp_path: Path) -> None:
    requests = ok_or_config_error({"name": name}, tmp_path)
    if requests is None:
        return
    (request,) = requests
    name = name or "kind"  # empty means the default, as upstream
    assert request.name == f"{name}-control-plane" and request.hostname == request.name
    assert request.labels[CLUSTER_LABEL] == name
    assert set(name) <= set("abcdefghijklmnopqrstuvwxyz0123456789.-")


@FUZZ
@given(key=HOSTILE, value=HOSTILE)
def test_node_labels(key: str, value: str, tmp_path: Path) -> None:
    doc = {"nodes": [{"role": "control-plane", "labels": {key: value}}]}
    try:
        config = load(doc)
    except ConfigError:
        return
    # accepted labels end up in kubelet's --node-labels, a comma-separated key=value list
    assert "," not in key + value and "=" not in value and not any(c.isspace() for c in key)
    facts = NodeFacts(
        node_name="kind-control-plane",
        role="control-plane",
        ipv4="172.18.0.2",
        ipv6="",
        kubernetes_version="v1.36.1",
        control_plane_endpoint="kind-control-plane:6443",
        token="abcdef.0123456789abcdef",
        provider_name="docker",
        rootless=False,
        is_bootstrap_control_plane=True,
    )
    rendered = node_kubeadm_config(config, config.nodes[0], facts)
    assert f"{key}={value}" in rendered.text


@FUZZ
@given(
    host=HOSTILE,
    container=HOSTILE | st.builds(lambda s: "/" + s, HOSTILE),
    read_only=st.booleans(),
)
def test_mount_paths(host: str, container: str, read_only: bool, tmp_path: Path) -> None:
    # relative host paths resolve against the config folder; make them exist when that stays
    # inside the test's folder (never create anything elsewhere)
    with contextlib.suppress(OSError, ValueError):
        wanted = Path(os.path.abspath(tmp_path / host))
        if tmp_path in wanted.parents:
            wanted.mkdir(parents=True, exist_ok=True)
    doc = {
        "nodes": [
            {
                "role": "control-plane",
                "extraMounts": [
                    {"hostPath": host, "containerPath": container, "readOnly": read_only}
                ],
            }
        ]
    }
    requests = ok_or_config_error(doc, tmp_path)
    if requests is None:
        return
    (request,) = requests
    bind = request.binds[-1]
    assert bind.target == container  # verbatim
    assert Path(bind.source).is_absolute() and Path(bind.source).exists()
    # Docker parses the bind string: it must split back into exactly what was meant
    parts = docker_bind_parts(bind.spec)
    expected = [bind.source, bind.target] + ([",".join(bind.options)] if bind.options else [])
    assert parts == expected, bind.spec


@FUZZ
@given(address=HOSTILE, port=st.integers(min_value=-2, max_value=70000))
def test_port_mapping_addresses(address: str, port: int, tmp_path: Path) -> None:
    doc = {
        "nodes": [
            {
                "role": "control-plane",
                "extraPortMappings": [
                    {"containerPort": 80, "hostPort": port, "listenAddress": address}
                ],
            }
        ]
    }
    requests = ok_or_config_error(doc, tmp_path)
    if requests is None:
        return
    import ipaddress

    mapped = [p for p in requests[0].ports if p.container_port == 80]
    (binding,) = mapped
    ipaddress.ip_address(binding.host_ip)  # an IP address, nothing else
    assert 0 < binding.host_port <= 65535


@FUZZ
@given(image=HOSTILE)
def test_image_names(image: str, tmp_path: Path) -> None:
    requests = ok_or_config_error({"nodes": [{"role": "control-plane", "image": image}]}, tmp_path)
    if requests is None:
        return
    (request,) = requests
    # an image reference is handed to the engine API as one field (the engine rejects what is
    # not a reference); it is never part of a command line
    assert request.image == (image or request.image)
    assert not any(c.isspace() for c in request.image) and request.image.isprintable()


@pytest.mark.parametrize(
    ("field", "doc"),
    [
        ("name", {"name": "a;b"}),
        ("name", {"name": "../x"}),
        ("nodes[0].labels", {"nodes": [{"role": "control-plane", "labels": {"a b": "c"}}]}),
        ("nodes[0].image", {"nodes": [{"role": "control-plane", "image": "a b"}]}),
        (
            "nodes[0].extraMounts[0].containerPath",
            {
                "nodes": [
                    {
                        "role": "control-plane",
                        "extraMounts": [{"hostPath": "/", "containerPath": "data"}],
                    }
                ]
            },
        ),
        (
            "nodes[0].extraPortMappings[0].listenAddress",
            {
                "nodes": [
                    {
                        "role": "control-plane",
                        "extraPortMappings": [
                            {"containerPort": 80, "listenAddress": "0.0.0.0; id"}
                        ],
                    }
                ]
            },
        ),
    ],
)
def test_rejections_name_the_field(field: str, doc: dict[str, Any]) -> None:
    with pytest.raises(ConfigError) as info:
        load(doc)
    assert field in str(info.value)


def test_a_colon_in_a_mount_path_is_a_clear_error(tmp_path: Path) -> None:
    """Docker would split ``/a:b`` in a bind string: rejected up front, naming the field."""
    (tmp_path / "a:b").mkdir()
    for mount, field in (
        ({"hostPath": str(tmp_path / "a:b"), "containerPath": "/data"}, "hostPath"),
        ({"hostPath": str(tmp_path), "containerPath": "/data:ro"}, "containerPath"),
    ):
        doc = {"nodes": [{"role": "control-plane", "extraMounts": [mount]}]}
        with pytest.raises(PykindError) as info:
            plan_of(load(doc), tmp_path)
        assert f"nodes[0].extraMounts[0].{field}" in str(info.value)
        assert "':'" in str(info.value)
