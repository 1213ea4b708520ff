"""``kind build node-image``: a node image from a Kubernetes server release tarball.

As upstream: a build container runs from the base image; kubeadm, kubelet and kubectl are
copied to ``/usr/bin``; ``/kind/version`` is written from the release's version file; the
control-plane image archives of the release are imported into containerd (started inside the
build container) in the ``k8s.io`` namespace, pinned and not unpacked, with the ``-<arch>``
suffix dropped from their names; the container is committed with the base image's
ENTRYPOINT and CMD.

Not done (no registry is needed at build time): pre-pulling the images a release does not
carry (etcd, CoreDNS, pause, the default CNI and storage images). The base image's
``/kind/manifests`` are kept as they are.
"""

from __future__ import annotations

import platform as host_platform
import tempfile
from pathlib import Path
from typing import Any

from pykind.build.container import BuildContainer, BuildProvider
from pykind.build.release import Release, extract_release
from pykind.build.source import resolve
from pykind.errors import ConfigError, ImageNotFoundError, PykindError
from pykind.images import node_store
from pykind.status import NULL_STATUS, Status, step

DEFAULT_IMAGE = "kindest/node:latest"
#: Upstream kind's base image (pinned by upstream per release).
DEFAULT_BASE_IMAGE = "kindest/base:v20260214-ea8e5717"
SUPPORTED_ARCHES = ("amd64", "arm64")
#: Images shipped in the node image are pinned: the kubelet's image GC keeps them.
PINNED_LABEL = "io.cri-containerd.pinned=pinned"

_WRITE_FILE = 'cat > "$1" && chmod "$2" "$1" && chown root:root "$1"'
_START_CONTAINERD = "nohup containerd > /var/log/kind-build-containerd.log 2>&1 &"
_WAIT_CONTAINERD = (
    "for i in $(seq 1 60); do ctr version >/dev/null 2>&1 && exit 0; sleep 0.5; done; "
    "echo 'containerd did not start' >&2; cat /var/log/kind-build-containerd.log >&2; exit 1"
)
_STOP_CONTAINERD = (
    "pkill -x containerd; for i in $(seq 1 60); do pgrep -x containerd >/dev/null || exit 0; "
    "sleep 0.5; done; exit 1"
)


class BuildError(PykindError):
    """The node image could not be built."""


def host_arch() -> str:
    return node_store.oci_arch(host_platform.machine())


def _resolve_provider(provider_or_engine: Any) -> BuildProvider:
    if isinstance(provider_or_engine, str):
        from pykind.plugin.manager import get_plugin_manager

        provider_or_engine = get_plugin_manager().get_node_provider(provider_or_engine)
    if not hasattr(provider_or_engine, "client") or not hasattr(provider_or_engine, "exec_in"):
        name = getattr(provider_or_engine, "name", type(provider_or_engine).__name__)
        raise ConfigError(f"provider {name!r} cannot build node images", field="provider")
    return provider_or_engine


def _fixed_name(ref: str, arch: str) -> str | None:
    """``.../kube-apiserver-amd64:v1`` -> ``.../kube-apiserver:v1`` (None: nothing to fix)."""
    if "@" in ref or ref.startswith("sha256:"):
        return None
    name, sep, tag = ref.rpartition(":")
    if not sep or "/" in tag:
        name, tag = ref, ""
    suffix = f"-{arch}"
    if not name.endswith(suffix):
        return None
    return name[: -len(suffix)] + (f":{tag}" if tag else "")


def _install(box: BuildContainer, release: Release, arch: str, status: Status) -> None:
    box.run(["mkdir", "-p", "/kind"])
    for name, path in release.binaries.items():
        with path.open("rb") as f:
            box.run(["sh", "-c", _WRITE_FILE, "sh", f"/usr/bin/{name}", "0755"], stdin=f)
    box.run(
        ["sh", "-c", _WRITE_FILE, "sh", "/kind/version", "0644"],
        stdin=release.version.encode() + b"\n",
    )
    if box.run(["test", "-f", "/kind/manifests/default-cni.yaml"], check=False).returncode != 0:
        status.info(
            "WARNING: the base image has no /kind/manifests/default-cni.yaml; clusters from "
            "this image need networking.disableDefaultCNI and a CNI of their own"
        )

    box.run(["sh", "-c", _START_CONTAINERD])
    try:
        box.run(["sh", "-c", _WAIT_CONTAINERD])
        before = set(node_store.list_images(box).refs)
        importer = [
            *node_store.CTR,
            "images",
            "import",
            f"--label={PINNED_LABEL}",
            "--all-platforms",
            "--no-unpack",
            "--digests",
            "-",
        ]
        for archive in release.images:
            status.info(f"Importing {archive.name}")
            with archive.open("rb") as f:
                box.run(importer, stdin=f)
        for ref in sorted(set(node_store.list_images(box).refs) - before):
            fixed = _fixed_name(ref, arch)
            if fixed:
                node_store.tag(box, ref, fixed)
                box.run([*node_store.CTR, "images", "rm", ref])
                # ctr's tag does not carry labels over: pin the new name as the import did
                box.run([*node_store.CTR, "images", "label", fixed, PINNED_LABEL])
    finally:
        box.run(["sh", "-c", _STOP_CONTAINERD], check=False)


def build_node_image(
    provider_or_engine: Any,
    *,
    kube_source: str,
    build_type: str | None = None,
    image: str = DEFAULT_IMAGE,
    base_image: str = DEFAULT_BASE_IMAGE,
    arch: str | None = None,
    status: Status = NULL_STATUS,
    cache_dir: Path | None = None,
) -> str:
    """Build ``image`` from ``kube_source`` onto ``base_image``; return ``image``.

    ``provider_or_engine`` is a node provider (or its name: "docker", "podman"): the image is
    built in that engine. ``build_type`` is "file", "url" or "release" (None: guessed from
    ``kube_source``).
    """
    provider = _resolve_provider(provider_or_engine)
    arch = (arch or host_arch()).strip()
    if arch not in SUPPORTED_ARCHES:
        status.info(f'WARNING: unsupported architecture "{arch}"')
    tarball = resolve(kube_source, build_type, arch=arch, cache_dir=cache_dir, status=status)

    image_id = getattr(provider, "image_id", None)
    if callable(image_id) and not image_id(base_image):
        pull = getattr(provider, "pull_image", None)
        if not callable(pull):
            raise ImageNotFoundError(f"base image {base_image!r} is not present")
        pull(base_image)

    with tempfile.TemporaryDirectory(prefix="kind-build-") as workdir:
        status.info(f'Extracting "{tarball}"')
        release = extract_release(tarball, Path(workdir))
        with step(status, f'Building node image "{image}" (Kubernetes {release.version})'):
            box = BuildContainer(provider, base_image)
            try:
                box.start()
                status.info(f"Building in container: {box.name}")
                try:
                    _install(box, release, arch, status)
                except PykindError as exc:
                    raise BuildError(f"failed to build node image {image!r}: {exc}") from exc
                box.commit(image)
            finally:
                box.remove()
    status.info(f'Image "{image}" build completed.')
    return image
