"""Registers the ``registry`` add-on: kind's local-registry guide as an add-on.

- prepare: a containerd patch setting ``config_path = "/etc/containerd/certs.d"``;
- install: the ``kind-registry`` container (host ``127.0.0.1:5001`` -> ``5000``) on the nodes'
  network, ``/etc/containerd/certs.d/localhost:5001/hosts.toml`` in every node pointing at
  ``http://kind-registry:5000``, and the ``local-registry-hosting`` ConfigMap (KEP-1755);
- ready: the registry answers ``/v2/`` on the host port;
- remove: the container is deleted, the node aliases and the ConfigMap removed.
"""

from __future__ import annotations

import contextlib
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

from pydantic import BaseModel, ConfigDict, Field, field_validator

import pykind
from pykind.addons.install import EXISTING_CLUSTER
from pykind.addons.kubectl import apply_manifest, control_plane_node, kubectl, kubernetes_nodes
from pykind.addons.prepare import add_containerd_patch
from pykind.cluster.context import StepContext
from pykind.config.models import ClusterConfig
from pykind.errors import AddonError
from pykind.plugin.types import AddonSpec
from pykind_registry import engine

NAME = "registry"
CERTS_DIR = "/etc/containerd/certs.d"
CONTAINERD_PATCH = (
    f'[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "{CERTS_DIR}"\n'
)
HELP_URL = "https://kind.sigs.k8s.io/docs/user/local-registry/"
_CONTAINER_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")


class RegistryOptions(BaseModel):
    """Options of the registry add-on."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field("kind-registry", description="Registry container name (DNS name in nodes)")
    image: str = Field("registry:3", description="Registry image (must serve HTTP on port)")
    port: int = Field(5000, ge=1, le=65535, description="Port the registry listens on inside")
    host_port: int = Field(5001, ge=1, le=65535, description="Host port the registry is on")
    listen_address: str = Field("127.0.0.1", description="Host address the port listens on")
    patch_containerd: bool = Field(
        True, description="Add the containerd config_path patch (older node images need it)"
    )
    timeout: float = Field(60.0, gt=0, description="Seconds to wait for the registry to answer")

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not _CONTAINER_NAME_RE.match(value):
            raise ValueError("not a valid container name")
        return value

    @property
    def host(self) -> str:
        """How the registry is named on the host and in image references."""
        return f"localhost:{self.host_port}"


def hosts_dir(options: RegistryOptions) -> str:
    return f"{CERTS_DIR}/{options.host}"


def hosts_toml(options: RegistryOptions) -> bytes:
    """containerd's hosts file: pulls of ``localhost:<host_port>/...`` go to the container."""
    return f'[host."http://{options.name}:{options.port}"]\n'.encode()


def hosting_configmap(options: RegistryOptions) -> bytes:
    """KEP-1755's ConfigMap telling tools where the local registry is."""
    return (
        "apiVersion: v1\n"
        "kind: ConfigMap\n"
        "metadata:\n"
        "  name: local-registry-hosting\n"
        "  namespace: kube-public\n"
        "data:\n"
        "  localRegistryHosting.v1: |\n"
        f'    host: "{options.host}"\n'
        f'    help: "{HELP_URL}"\n'
    ).encode()


def prepare(config: ClusterConfig, options: RegistryOptions) -> ClusterConfig:
    if options.patch_containerd:
        add_containerd_patch(config, CONTAINERD_PATCH)
    return config


def _cluster_network(ctx: StepContext) -> str:
    node = control_plane_node(ctx.nodes())
    networks = engine.container_networks(ctx.provider, node.name)
    if not networks:
        raise AddonError(f"cannot find the network of node {node.name!r}")
    return networks[0]


def install(ctx: StepContext, options: RegistryOptions) -> None:
    spec = engine.SideContainer(
        name=options.name,
        image=options.image,
        ports={f"{options.port}/tcp": (options.listen_address, options.host_port)},
        labels={engine.ADDON_LABEL: NAME},
    )
    if not engine.ensure_container(ctx.provider, spec):
        ctx.status.info(f"using the existing registry container {options.name!r}")
    engine.connect(ctx.provider, options.name, _cluster_network(ctx))
    for node in kubernetes_nodes(ctx.nodes()):
        node.run(["mkdir", "-p", hosts_dir(options)])
        node.run(
            ["cp", "/dev/stdin", f"{hosts_dir(options)}/hosts.toml"], stdin=hosts_toml(options)
        )
        if ctx.data.get(EXISTING_CLUSTER):
            config = node.run(["cat", "/etc/containerd/config.toml"], check=False).text
            if "config_path" not in config:
                ctx.warn(
                    f"node {node.name!r}: containerd has no config_path set, so it ignores "
                    f"{hosts_dir(options)}; choose the registry add-on at create time instead"
                )
    apply_manifest(control_plane_node(ctx.nodes()), hosting_configmap(options))


def ready(ctx: StepContext, options: RegistryOptions) -> None:
    address = options.listen_address
    if address in ("0.0.0.0", "::", ""):
        address = "127.0.0.1"
    host = f"[{address}]" if ":" in address else address
    url = f"http://{host}:{options.host_port}/v2/"
    deadline = time.monotonic() + options.timeout
    last = "no answer"
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except urllib.error.HTTPError as exc:
            if exc.code == 401:  # a registry with auth still answers
                return
            last = f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            last = str(getattr(exc, "reason", exc))
        if time.monotonic() >= deadline:
            raise AddonError(
                f"the registry at {url} did not answer within {options.timeout:g}s: {last}"
            )
        time.sleep(0.5)


def remove(ctx: StepContext, options: RegistryOptions) -> None:
    nodes = ctx.nodes()
    with contextlib.suppress(AddonError):
        kubectl(
            control_plane_node(nodes),
            [
                "delete",
                "--ignore-not-found",
                "--namespace=kube-public",
                "configmap/local-registry-hosting",
            ],
            check=False,
        )
    for node in kubernetes_nodes(nodes):
        node.run(["rm", "-rf", hosts_dir(options)], check=False)
    if not engine.remove_container(ctx.provider, options.name):
        ctx.warn(f"no registry container {options.name!r} to remove")


@pykind.hookimpl
def pykind_addons() -> Iterator[AddonSpec]:
    yield AddonSpec(
        name=NAME,
        install=install,
        options_model=RegistryOptions,
        description="Local image registry container on the cluster network (localhost:5001)",
        prepare=prepare,
        ready=ready,
        remove=remove,
    )
