"""Fuzzing the config loader: any input gives a config or one clear ConfigError, nothing else."""

from __future__ import annotations

import copy
import io
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pykind.config.loader import LoadedConfig, load_config, parse_config
from pykind.config.models import ClusterConfig, Mount, Networking, Node, PatchJSON6902, PortMapping
from pykind.errors import ConfigError

FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

HEAD: dict[str, Any] = {"kind": "Cluster", "apiVersion": "kind.x-k8s.io/v1alpha4"}
FIELD_NAMES = sorted(
    {
        (info.alias or name)
        for model in (ClusterConfig, Node, Networking, Mount, PortMapping, PatchJSON6902)
        for name, info in model.model_fields.items()
    }
    | {"control-plane", "worker", "ipv4", "ipv6", "dual", "TCP", "udp", "<<"}
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(
        [
            "",
            "0.0.0.0",
            "::",
            "127.0.0.1",
            "10.244.0.0/16",
            "fd00::/56",
            "10.0.0.0/8,fd00::/64",
            "/abs",
            "rel",
            "control-plane",
            "worker",
            "yes",
            "on",
            "kindest/node:v1",
            "[{op: add, path: /a, value: 1}]",
            "kind: X",
            "[a]\nb = 1",
        ]
    )
)
keys = st.sampled_from(FIELD_NAMES) | st.text(max_size=12)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5),
    max_leaves=25,
)


def check(text: str) -> LoadedConfig | None:
    """The invariant: a LoadedConfig, or a ConfigError with a non-empty one-line message."""
    try:
        loaded = parse_config(text)
    except ConfigError as exc:
        message = str(exc)
        assert message.strip(), "empty error message"
        assert "\n" not in message and "\r" not in message, message
        assert exc.reason.strip()
        return None
    assert isinstance(loaded, LoadedConfig)
    assert loaded.config.name
    assert loaded.config.control_planes
    return loaded


def dump(value: Any) -> str:
    return yaml.safe_dump(value, allow_unicode=True, default_flow_style=False)


@FUZZ
@given(values)
def test_random_documents(doc: Any) -> None:
    check(dump(doc))


@FUZZ
@given(st.dictionaries(keys, values, max_size=6))
def test_random_documents_with_valid_type_meta(body: dict[str, Any]) -> None:
    check(dump({**body, **HEAD}))


@FUZZ
@given(st.text(max_size=200))
def test_random_text(text: str) -> None:
    check(text)


YAML_TOKENS = [
    "kind: Cluster\n",
    "apiVersion: kind.x-k8s.io/v1alpha4\n",
    "nodes:\n",
    "- ",
    "  ",
    "role: ",
    "worker",
    "control-plane",
    "{",
    "}",
    "[",
    "]",
    ", ",
    ": ",
    "\n",
    "&a ",
    "*a",
    "<<: ",
    "!!str ",
    "!!int ",
    "!!binary ",
    "!custom ",
    "? ",
    "---\n",
    "...\n",
    "'",
    '"',
    "|\n",
    "#",
    "\t",
    "networking:\n",
    "extraPortMappings:\n",
    "containerPort: ",
    "hostPort: ",
    "80",
    "0x50",
    "-1",
    "~",
    "labels:\n",
    "%YAML 1.1\n",
]


@FUZZ
@given(st.lists(st.sampled_from(YAML_TOKENS), max_size=40))
def test_random_yaml_token_soup(tokens: list[str]) -> None:
    check("".join(tokens))


@FUZZ
@given(st.binary(max_size=200))
def test_random_bytes(raw: bytes) -> None:
    try:
        load_config(io.BytesIO(raw))
    except ConfigError as exc:
        assert str(exc).strip() and "\n" not in str(exc)


# -- mutations of valid configs -----------------------------------------------------------------

VALID: list[dict[str, Any]] = [
    {**HEAD},
    {
        **HEAD,
        "name": "dev",
        "nodes": [
            {
                "role": "control-plane",
                "labels": {"ingress-ready": "true"},
                "extraPortMappings": [
                    {"containerPort": 80, "hostPort": 8080, "listenAddress": "127.0.0.1"},
                    {"containerPort": 443, "protocol": "udp"},
                ],
                "extraMounts": [{"hostPath": ".", "containerPath": "/src", "readOnly": True}],
                "kubeadmConfigPatches": ["kind: InitConfiguration\n"],
            },
            {"role": "worker", "image": "kindest/node:v1.30.0"},
        ],
        "networking": {
            "ipFamily": "dual",
            "apiServerPort": 6443,
            "kubeProxyMode": "ipvs",
            "dnsSearch": ["a.test"],
        },
        "featureGates": {"Foo": True},
        "runtimeConfig": {"api/alpha": "false"},
        "kubeadmConfigPatchesJSON6902": [
            {
                "group": "kubeadm.k8s.io",
                "version": "v1beta3",
                "kind": "ClusterConfiguration",
                "patch": "- op: add\n  path: /a\n  value: 1\n",
            }
        ],
        "containerdConfigPatches": ['[plugins."x"]\n  a = 1\n'],
        "containerdConfigPatchesJSON6902": ['[{"op": "remove", "path": "/a"}]'],
    },
    {
        **HEAD,
        "networking": {"ipFamily": "ipv6", "podSubnet": "fd00:1::/56"},
        "nodes": [{}, {}, {}, {"role": "worker"}],
    },
]


def _containers(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths of every mapping and list inside ``doc``."""
    found = [path]
    if isinstance(doc, dict):
        for key, value in doc.items():
            if isinstance(value, (dict, list)):
                found += _containers(value, (*path, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            if isinstance(value, (dict, list)):
                found += _containers(value, (*path, index))
    return found


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        doc = doc[part]
    return doc


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    doc = copy.deepcopy(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        container = _get(doc, draw(st.sampled_from(_containers(doc))))
        op = draw(st.sampled_from(["set", "delete", "rename", "add", "append", "wrap"]))
        if isinstance(container, dict) and container:
            key = draw(st.sampled_from(sorted(container, key=str)))
            if op == "set":
                container[key] = draw(values)
            elif op == "delete":
                del container[key]
            elif op == "rename":
                container[draw(keys)] = container.pop(key)
            elif op == "wrap":
                container[key] = [container[key]]
            else:
                container[draw(keys)] = draw(values)
        elif isinstance(container, list):
            if container and op in ("set", "wrap"):
                index = draw(st.integers(min_value=0, max_value=len(container) - 1))
                container[index] = draw(values)
            elif container and op == "delete":
                container.pop()
            else:
                container.append(draw(values))
    return doc


@FUZZ
@given(mutated())
def test_mutated_valid_configs(doc: dict[str, Any]) -> None:
    check(dump(doc))


def test_valid_bases_load() -> None:
    """Negative control for the mutation fuzzing: the unmutated bases are valid."""
    for doc in VALID:
        assert check(dump(doc)) is not None


@FUZZ
@given(st.text(min_size=1, max_size=30), st.text(max_size=30))
def test_random_name_and_image_overrides(name: str, image: str) -> None:
    try:
        loaded = load_config(None, name=name, image=image)
    except ConfigError as exc:
        assert str(exc).strip() and "\n" not in str(exc)
        assert exc.field is not None
    else:
        assert loaded.config.name == name
