"""A kind cluster's kubeconfig entries from kubeadm's ``/etc/kubernetes/admin.conf``
(upstream's ``KINDFromRawKubeadm``)."""

from __future__ import annotations

import copy
import ipaddress

from pykind.errors import ConfigError
from pykind.kubeconfig.model import (
    CURRENT_CONTEXT,
    LIST_KEYS,
    KubeconfigEntries,
    context_name,
    parse_document,
)

ADMIN_CONF_LABEL = "admin.conf"


def format_endpoint(host: str, port: int) -> str:
    """``host:port``, with an IPv6 address in brackets (``[::1]:6443``)."""
    try:
        if ipaddress.ip_address(host).version == 6:
            return f"[{host}]:{port}"
    except ValueError:
        pass
    return f"{host}:{port}"


def build_entries(
    admin_conf: str, cluster_name: str, *, endpoint: str | None = None
) -> KubeconfigEntries:
    """The entries for ``cluster_name``: kubeadm's cluster, user and context renamed
    ``kind-<cluster_name>`` (certificate data kept) and, when ``endpoint`` (``host:port``) is
    given, the server set to ``https://<endpoint>``. Without it the server stays kubeadm's
    (the address inside the cluster network, like ``kind get kubeconfig --internal``)."""
    doc = parse_document(admin_conf, ADMIN_CONF_LABEL)
    for key in LIST_KEYS:
        count = len(doc.get(key) or [])
        if count != 1:
            raise ConfigError(
                f"kubeadm's {ADMIN_CONF_LABEL} should have one {key[:-1]}, but has {count}"
            )
    name = context_name(cluster_name)
    cluster = copy.deepcopy(doc["clusters"][0])
    user = copy.deepcopy(doc["users"][0])
    context = copy.deepcopy(doc["contexts"][0])
    cluster["name"] = name
    user["name"] = name
    context["name"] = name
    for entry, field in ((cluster, "cluster"), (user, "user"), (context, "context")):
        if not isinstance(entry.get(field), dict):
            entry[field] = {}
    context["context"]["cluster"] = name
    context["context"]["user"] = name
    if endpoint:
        cluster["cluster"]["server"] = f"https://{endpoint}"
    others = {k: v for k, v in doc.items() if k not in (*LIST_KEYS, CURRENT_CONTEXT)}
    return KubeconfigEntries(
        name=name, cluster=cluster, user=user, context=context, other_fields=others
    )


def get_cluster_entries(admin_conf: str, cluster_name: str, *, endpoint: str | None = None) -> str:
    """The kubeconfig text ``kind get kubeconfig`` prints: just this cluster, as current
    context. ``endpoint`` as for :func:`build_entries`."""
    return build_entries(admin_conf, cluster_name, endpoint=endpoint).to_yaml()
