"""The default CNI, kindnet: installed from the node image's ``/kind/manifests/default-cni.yaml``.

Built-in plugin (registered by the plugin manager): it registers the :class:`CNISpec`
``kindnet``, which the CNI create step installs unless the config sets
``networking.disableDefaultCNI`` or another CNI is chosen.

As upstream, the manifest is templated only when it carries the marker
``would you kindly template this file`` (Go template syntax; ``{{ .PodSubnet }}`` is the one
field), and kindnet's DaemonSet gets a ``CONTROL_PLANE_ENDPOINT`` variable only when it carries
``would you kindly patch this file``.

This module also renders the CNI config kindnetd writes on every node
(:func:`cni_conflist`): ``ptp`` with ``host-local`` IPAM over the node's pod CIDR, then
``portmap``.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import yaml

from pykind.cluster.nodes import KUBECTL_ADMIN, bootstrap_control_plane, read_file
from pykind.errors import PykindError
from pykind.plugin import hookimpl
from pykind.plugin.types import CNISpec

if TYPE_CHECKING:
    from pykind.cluster.context import StepContext

NAME = "kindnet"
MANIFEST_PATH = "/kind/manifests/default-cni.yaml"
TEMPLATE_MARKER = "would you kindly template this file"
PATCH_MARKER = "would you kindly patch this file"
#: Where kindnetd writes the node's CNI config.
CNI_CONFIG_PATH = "/etc/cni/net.d/10-kindnet.conflist"
#: host-local IPAM state folder kindnetd configures.
IPAM_DATA_DIR = "/run/cni-ipam-state"
#: Per-node pod CIDR sizes kube-controller-manager hands out by default.
NODE_MASK_V4 = 24
NODE_MASK_V6 = 64

_ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.DOTALL)
_FIELD = re.compile(r"^\.([A-Za-z_][A-Za-z0-9_]*)$")


class TemplateError(PykindError):
    """The CNI manifest uses template syntax this renderer does not support."""


def render_template(text: str, data: Mapping[str, str]) -> str:
    """Render the subset of Go's ``text/template`` that kind's manifests use: ``{{ .Field }}``,
    comments ``{{/* ... */}}`` and the ``{{-``/``-}}`` whitespace trimming markers."""
    out: list[str] = []
    pos = 0
    trim_next = False
    for match in _ACTION.finditer(text):
        literal = text[pos : match.start()]
        if trim_next:
            literal = literal.lstrip()
        trim_left, body, trim_right = match.groups()
        if trim_left:
            literal = literal.rstrip()
        out.append(literal)
        out.append(_evaluate(body.strip(), data))
        trim_next = bool(trim_right)
        pos = match.end()
    tail = text[pos:]
    out.append(tail.lstrip() if trim_next else tail)
    return "".join(out)


def _evaluate(body: str, data: Mapping[str, str]) -> str:
    if body.startswith("/*") and body.endswith("*/"):
        return ""
    field = _FIELD.match(body)
    if field is None:
        raise TemplateError(f"unsupported template action {{{{ {body} }}}} in the CNI manifest")
    name = field.group(1)
    if name not in data:
        known = ", ".join(f".{k}" for k in sorted(data))
        raise TemplateError(
            f"the CNI manifest uses {{{{ .{name} }}}}; only {known} can be templated"
        )
    return data[name]


def add_control_plane_endpoint(manifest: str, endpoint: str) -> str:
    """Add ``CONTROL_PLANE_ENDPOINT=<endpoint>`` to the first container of every ``apps/v1``
    DaemonSet in ``manifest`` (upstream's JSON 6902 patch), so kindnet needs no kube-proxy."""
    try:
        docs = list(yaml.safe_load_all(manifest))
    except yaml.YAMLError as exc:
        raise PykindError(f"the CNI manifest is not valid YAML: {exc}") from exc
    patched = 0
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        if doc.get("apiVersion") != "apps/v1" or doc.get("kind") != "DaemonSet":
            continue
        try:
            container = doc["spec"]["template"]["spec"]["containers"][0]
        except (KeyError, IndexError, TypeError) as exc:
            raise PykindError("the CNI manifest's DaemonSet has no container to patch") from exc
        env = container.get("env")
        if env is None:
            env = container["env"] = []
        env.append({"name": "CONTROL_PLANE_ENDPOINT", "value": endpoint})
        patched += 1
    if not patched:
        return manifest
    return yaml.safe_dump_all(
        [d for d in docs if d is not None], sort_keys=False, default_flow_style=False
    )


def render_manifest(raw: str, *, pod_subnet: str, control_plane_endpoint: str) -> str:
    """The manifest to apply, from the node image's ``default-cni.yaml``."""
    manifest = raw
    if TEMPLATE_MARKER in manifest:
        manifest = render_template(manifest, {"PodSubnet": pod_subnet})
    if PATCH_MARKER in manifest:
        manifest = add_control_plane_endpoint(manifest, control_plane_endpoint)
    return manifest


def install(ctx: StepContext) -> None:
    """Install kindnet from the bootstrap control plane (upstream's ``installcni`` action)."""
    node = bootstrap_control_plane(ctx.nodes())
    raw = read_file(node, MANIFEST_PATH)
    endpoint = ""
    if PATCH_MARKER in raw:
        endpoint = ctx.provider.api_server_internal_endpoint(ctx.config.name)
    manifest = render_manifest(
        raw, pod_subnet=ctx.config.networking.pod_subnet, control_plane_endpoint=endpoint
    )
    node.run(["kubectl", "create", KUBECTL_ADMIN, "-f", "-"], stdin=manifest.encode())


# ---------------------------------------------------------------- the node's CNI config
def _is_ipv6(cidr: str) -> bool:
    return ipaddress.ip_network(cidr, strict=False).version == 6


def cni_config(pod_cidrs: Sequence[str], *, mtu: int = 0) -> dict[str, Any]:
    """kindnetd's CNI config for a node owning ``pod_cidrs`` (one per IP family)."""
    if not pod_cidrs:
        raise ValueError("a node needs at least one pod CIDR")
    if len(pod_cidrs) > 1:
        routes = ["0.0.0.0/0", "::/0"]
    else:
        routes = ["::/0"] if _is_ipv6(pod_cidrs[0]) else ["0.0.0.0/0"]
    ptp: dict[str, Any] = {
        "type": "ptp",
        "ipMasq": False,
        "ipam": {
            "type": "host-local",
            "dataDir": IPAM_DATA_DIR,
            "routes": [{"dst": r} for r in routes],
            "ranges": [[{"subnet": c}] for c in pod_cidrs],
        },
    }
    if mtu:
        ptp["mtu"] = mtu
    return {
        "cniVersion": "0.3.1",
        "name": NAME,
        "plugins": [ptp, {"type": "portmap", "capabilities": {"portMappings": True}}],
    }


def cni_conflist(pod_cidrs: Sequence[str], *, mtu: int = 0) -> str:
    """:func:`cni_config` as the JSON text kindnetd writes to :data:`CNI_CONFIG_PATH`."""
    return json.dumps(cni_config(pod_cidrs, mtu=mtu), indent=2) + "\n"


def node_pod_cidrs(cluster_pod_subnet: str, index: int) -> list[str]:
    """The pod CIDRs of the ``index``-th node (0-based) carved from the cluster's pod subnet
    (comma-separated for dual stack), as kube-controller-manager's range allocator does."""
    cidrs = []
    for subnet in cluster_pod_subnet.split(","):
        net = ipaddress.ip_network(subnet.strip(), strict=False)
        mask = NODE_MASK_V6 if net.version == 6 else NODE_MASK_V4
        mask = max(mask, net.prefixlen)
        sub = next(
            (s for i, s in enumerate(net.subnets(new_prefix=mask)) if i == index),
            None,
        )
        if sub is None:
            raise ValueError(f"pod subnet {subnet} has no room for node #{index}")
        cidrs.append(str(sub))
    return cidrs


def route_argv(pod_cidr: str, node_ip: str) -> list[str]:
    """The route kindnetd keeps on every node towards another node's pods."""
    return ["ip", "route", "replace", pod_cidr, "via", node_ip]


# ---------------------------------------------------------------- plugin registration
@hookimpl
def pykind_cni_plugins() -> Iterable[CNISpec]:
    yield CNISpec(
        name=NAME,
        install=install,
        description="kind's default CNI, from the node image (/kind/manifests/default-cni.yaml)",
    )
