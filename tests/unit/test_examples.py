"""Every example loads: cluster configs with the config loader, add-ons files with the add-on
framework, and Kubernetes manifests use only API versions the default node image serves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from pykind.addons import parse_addons_file, resolve_selection
from pykind.config.models import DEFAULT_NODE_IMAGE, ClusterConfig
from pykind.plugin.manager import create_plugin_manager

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

#: Group/versions a Kubernetes v1.36 API server serves by default (no alpha/beta groups are
#: enabled in kind's default config). Removed versions such as networking.k8s.io/v1beta1,
#: extensions/v1beta1 or policy/v1beta1 are deliberately absent.
SERVED_API_VERSIONS = frozenset(
    {
        "v1",
        "admissionregistration.k8s.io/v1",
        "apiextensions.k8s.io/v1",
        "apiregistration.k8s.io/v1",
        "apps/v1",
        "authentication.k8s.io/v1",
        "authorization.k8s.io/v1",
        "autoscaling/v1",
        "autoscaling/v2",
        "batch/v1",
        "certificates.k8s.io/v1",
        "coordination.k8s.io/v1",
        "discovery.k8s.io/v1",
        "events.k8s.io/v1",
        "flowcontrol.apiserver.k8s.io/v1",
        "networking.k8s.io/v1",
        "node.k8s.io/v1",
        "policy/v1",
        "rbac.authorization.k8s.io/v1",
        "resource.k8s.io/v1",
        "scheduling.k8s.io/v1",
        "storage.k8s.io/v1",
    }
)
KIND_API_VERSION = "kind.x-k8s.io/v1alpha4"
#: The only registry host example images may name: the local registry add-on's.
ALLOWED_HOSTS = {"localhost:5001"}


def _yaml_files() -> list[Path]:
    files = [p for p in EXAMPLES.rglob("*") if p.suffix in {".yaml", ".yml"}]
    return sorted(p for p in files if ".venv" not in p.parts)


def _docs(path: Path) -> list[Any]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]


def _classify(doc: Any) -> str:
    if isinstance(doc, dict) and str(doc.get("apiVersion", "")).startswith("kind.x-k8s.io/"):
        return "config"
    if isinstance(doc, dict) and set(doc) == {"addons"}:
        return "addons"
    if isinstance(doc, dict) and "apiVersion" in doc and "kind" in doc:
        return "manifest"
    return "unknown"


def _by_kind(kind: str) -> list[Path]:
    return [p for p in _yaml_files() if any(_classify(d) == kind for d in _docs(p))]


def _id(path: Path) -> str:
    return str(path.relative_to(EXAMPLES))


def test_examples_exist() -> None:
    assert len(_by_kind("config")) >= 6
    assert len(_by_kind("manifest")) >= 2
    assert len(_by_kind("addons")) >= 2


@pytest.mark.parametrize("path", _yaml_files(), ids=_id)
def test_every_yaml_file_is_a_known_kind(path: Path) -> None:
    docs = _docs(path)
    assert docs, "empty file"
    kinds = {_classify(d) for d in docs}
    assert "unknown" not in kinds
    assert len(kinds) == 1, "one kind of document per file"


def _load_config(path: Path) -> ClusterConfig:
    try:
        from pykind.config.loader import load_config
    except ImportError:  # the loader lands with the config branch; validate the models meanwhile
        return ClusterConfig.model_validate(yaml.safe_load(path.read_text())).with_defaults()
    return load_config(path).config


@pytest.mark.parametrize("path", _by_kind("config"), ids=_id)
def test_cluster_configs_load(path: Path) -> None:
    raw = yaml.safe_load(path.read_text())
    assert raw["apiVersion"] == KIND_API_VERSION and raw["kind"] == "Cluster"
    config = _load_config(path)
    assert config.nodes and config.control_planes


def test_seed_configs_have_the_promised_shape() -> None:
    multi = _load_config(EXAMPLES / "configs" / "multi-node.yaml")
    assert (len(multi.control_planes), len(multi.workers)) == (1, 2)
    ha = _load_config(EXAMPLES / "configs" / "ha.yaml")
    assert (len(ha.control_planes), len(ha.workers)) == (3, 3)
    pinned = _load_config(EXAMPLES / "configs" / "pinned-node-image.yaml")
    assert all("@sha256:" in n.image for n in pinned.nodes)
    assert {n.image for n in pinned.nodes} == {DEFAULT_NODE_IMAGE}
    ingress = _load_config(EXAMPLES / "ingress" / "kind-config.yaml")
    plane = ingress.control_planes[0]
    assert plane.labels == {"ingress-ready": "true"}
    assert {(m.container_port, m.host_port) for m in plane.extra_port_mappings} == {
        (80, 80),
        (443, 443),
    }


@pytest.mark.parametrize("path", _by_kind("manifest"), ids=_id)
def test_manifests_use_served_api_versions(path: Path) -> None:
    for doc in _docs(path):
        version = doc["apiVersion"]
        assert version in SERVED_API_VERSIONS, f"{doc['kind']} uses {version}"


@pytest.mark.parametrize("path", _by_kind("manifest"), ids=_id)
def test_manifest_images_are_bare_names(path: Path) -> None:
    from pykind.addons.kubectl import manifest_images

    for image in manifest_images(path.read_bytes()):
        first, _, rest = image.partition("/")
        if rest and ("." in first or ":" in first or first == "localhost"):
            assert first in ALLOWED_HOSTS, image


def test_ingress_example_routes_foo_and_bar() -> None:
    docs = _docs(EXAMPLES / "ingress" / "usage.yaml")
    ingress = next(d for d in docs if d["kind"] == "Ingress")
    assert ingress["apiVersion"] == "networking.k8s.io/v1"
    paths = ingress["spec"]["rules"][0]["http"]["paths"]
    routes = {p["path"]: p["backend"]["service"]["name"] for p in paths}
    assert routes == {"/foo": "foo-service", "/bar": "bar-service"}
    services = {d["metadata"]["name"] for d in docs if d["kind"] == "Service"}
    assert services == set(routes.values())


@pytest.mark.parametrize("path", _by_kind("addons"), ids=_id)
def test_addons_files_validate(path: Path) -> None:
    selection = parse_addons_file(path.read_text(), source=str(path))
    resolved = resolve_selection(create_plugin_manager(), selection)
    assert list(resolved) == list(selection)
