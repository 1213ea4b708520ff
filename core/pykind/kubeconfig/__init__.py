"""kubeconfig handling as upstream kind does it: which file, kind's entries from kubeadm's
admin.conf, and locked, atomic merges and removals.

::

    from pykind import kubeconfig

    entries = kubeconfig.build_entries(admin_conf_text, "dev", endpoint="127.0.0.1:40001")
    target = kubeconfig.resolve_target(explicit_path)     # --kubeconfig, $KUBECONFIG, ~/.kube
    kubeconfig.write_cluster(target, entries)
    ...
    kubeconfig.remove_from_kubeconfigs("dev", explicit_path)
"""

from __future__ import annotations

from pykind.kubeconfig.build import build_entries, format_endpoint, get_cluster_entries
from pykind.kubeconfig.merge import (
    DEFAULT_LOCK_TIMEOUT,
    KubeconfigLockError,
    lock_path,
    read_cluster_entries,
    read_kubeconfig,
    remove_cluster,
    remove_from_kubeconfigs,
    write_cluster,
)
from pykind.kubeconfig.model import KubeconfigEntries, context_name
from pykind.kubeconfig.paths import (
    KubeconfigTarget,
    kubeconfig_paths,
    removal_targets,
    resolve_target,
)

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "KubeconfigEntries",
    "KubeconfigLockError",
    "KubeconfigTarget",
    "build_entries",
    "context_name",
    "format_endpoint",
    "get_cluster_entries",
    "kubeconfig_paths",
    "lock_path",
    "read_cluster_entries",
    "read_kubeconfig",
    "removal_targets",
    "remove_cluster",
    "remove_from_kubeconfigs",
    "resolve_target",
    "write_cluster",
]
