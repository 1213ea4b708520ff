"""Step ``storage``: install the default StorageClass ("Installing StorageClass 💾")."""

from __future__ import annotations

from pykind.cluster.context import StepContext
from pykind.cluster.nodes import KUBECTL_ADMIN, bootstrap_control_plane
from pykind.plugin.types import CreateStep, Phase
from pykind.status import step

MANIFEST_PATH = "/kind/manifests/default-storage.yaml"

#: Upstream's fallback for node images without a storage manifest.
LEGACY_STORAGE_MANIFEST = """\
# host-path based default storage class
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  namespace: kube-system
  name: standard
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: kubernetes.io/host-path
"""


def run(ctx: StepContext) -> None:
    with step(ctx.status, "Installing StorageClass 💾"):
        node = bootstrap_control_plane(ctx.nodes())
        found = node.run(["cat", MANIFEST_PATH], check=False)
        if found.returncode == 0:
            manifest = found.stdout
        else:
            ctx.warn(
                "could not read the node image's storage manifest, "
                "falling back on the old kubernetes.io/host-path default"
            )
            manifest = LEGACY_STORAGE_MANIFEST.encode()
        node.run(["kubectl", KUBECTL_ADMIN, "apply", "-f", "-"], stdin=manifest)


STEP = CreateStep(
    name="storage",
    phase=Phase.STORAGE,
    run=run,
    description="install the default StorageClass",
)
