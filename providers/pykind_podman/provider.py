"""The podman node provider: upstream kind's podman provider through the ``podman`` SDK.

Containers are created by posting a libpod ``SpecGenerator`` through the SDK's API client
(the SDK's keyword mapping cannot express ``--tmpfs``), with upstream's podman specifics: a
pre-created labelled volume on ``/var`` (``suid,exec,dev``) removed with the node, no restart
policy, digests without tags.

Exec: the podman SDK cannot write to an exec session's stdin, so ``Node.run`` talks to the
same socket through Podman's Docker-compatible API (``/v1.41``) with the ``docker`` SDK's
low-level client and streams stdin over the hijacked connection.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from urllib.parse import urlparse

from pykind.errors import ImageNotFoundError, ProviderError, PykindError
from pykind.runtime.engine import ContainerRequest, EngineProvider, error_text
from pykind.runtime.engine_net import ula_subnet
from pykind.runtime.protocols import ProviderInfo
from pykind_podman.endpoint import default_endpoint

#: Seconds an SDK request may take.
REQUEST_TIMEOUT = 300
#: Docker API version Podman 4's compatibility layer speaks.
COMPAT_API_VERSION = "1.41"
SUBNET_ATTEMPTS = 5
_IMAGE_MISSING = ("image not known", "no such image", "image not found")
_PERMANENT_PULL_ERRORS = (
    "not found",
    "manifest unknown",
    "unauthorized",
    "repository does not exist",
    "no such host",
    "invalid reference",
)


def sanitize_image(image: str) -> str:
    """Upstream's ``sanitizeImage``: podman cannot pull ``name:tag@digest``, keep the digest."""
    if "@sha256:" in image:
        name, digest = image.split("@sha256:", 1)
        last = name.rsplit("/", 1)
        if ":" in last[-1]:
            last[-1] = last[-1].split(":", 1)[0]
        return "/".join(last) + "@sha256:" + digest
    return image


class PodmanProvider(EngineProvider):
    """Nodes as Podman containers (upstream kind's podman provider)."""

    name = "podman"
    display_name = "Podman"
    network_env = "KIND_EXPERIMENTAL_PODMAN_NETWORK"
    container_env = "podman"
    unavailable_hint = "is the podman service running (podman.socket)?"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._compat: Any = None
        self._compat_lock = threading.Lock()

    @classmethod
    def default_endpoint(cls) -> str:
        return default_endpoint()

    def _connect(self) -> Any:
        import os

        import podman

        identity = os.environ.get("CONTAINER_SSHKEY")
        kwargs: dict[str, Any] = {"identity": identity} if identity else {}
        return podman.PodmanClient(base_url=self.endpoint, timeout=REQUEST_TIMEOUT, **kwargs)

    # ------------------------------------------------------------ errors
    def _translate(self, exc: BaseException, what: str) -> PykindError | None:
        import docker.errors
        import podman.errors

        if isinstance(exc, podman.errors.APIError):
            if exc.status_code is None and isinstance(exc.__cause__, OSError):
                return self._unavailable()
            text = error_text(exc)
            if isinstance(exc, podman.errors.ImageNotFound) or any(
                m in text.lower() for m in _IMAGE_MISSING
            ):
                return ImageNotFoundError(f"image not found in Podman while {what}: {text}")
            return ProviderError(f"Podman error while {what}: {text}")
        if isinstance(exc, docker.errors.APIError):  # exec, through the compatible API
            return ProviderError(f"Podman error while {what}: {error_text(exc)}")
        if isinstance(exc, podman.errors.PodmanError | docker.errors.DockerException):
            return ProviderError(f"Podman error while {what}: {exc}")
        return super()._translate(exc, what)

    def _is_not_found(self, exc: BaseException) -> bool:
        import podman.errors

        return isinstance(exc, podman.errors.NotFound)

    # ------------------------------------------------------------ engine facts
    def _load_info(self) -> ProviderInfo:
        info = self._engine_info()
        host = info.get("host") or {}
        security = host.get("security") or {}
        controllers = host.get("cgroupControllers")
        options = [k for k in ("apparmor", "seccomp", "selinux") if security.get(f"{k}Enabled")]
        if security.get("rootless"):
            options.append("rootless")
        return ProviderInfo(
            name=self.name,
            version=str((info.get("version") or {}).get("Version", "")),
            rootless=bool(security.get("rootless")),
            cgroup2=host.get("cgroupVersion") == "v2",
            # podman >= 4 lists the controllers; assume all when it does not (as upstream)
            supports_memory_limit=controllers is None or "memory" in controllers,
            supports_pids_limit=controllers is None or "pids" in controllers,
            security_options=tuple(options),
            endpoint=self.endpoint,
        )

    def _needs_dev_mapper(self) -> bool:
        store = self._engine_info().get("store") or {}
        if store.get("graphDriverName") in ("btrfs", "zfs", "devicemapper"):
            return True
        backing = (store.get("graphStatus") or {}).get("Backing Filesystem")
        return backing in ("btrfs", "xfs", "zfs")

    def _image_ref(self, image: str) -> str:
        return sanitize_image(image)

    # ------------------------------------------------------------ network (upstream rules)
    def _create_network(self, name: str, ipv6_subnet: str | None) -> None:
        # the podman CLI enables DNS on new networks by default; the API does not
        kwargs: dict[str, Any] = {"driver": "bridge", "dns_enabled": True}
        if ipv6_subnet:
            kwargs.update(enable_ipv6=True, subnets=[{"subnet": ipv6_subnet}])
        self.client.networks.create(name, **kwargs)

    def _ensure_network(self, name: str) -> None:
        import podman.errors

        if self.client.networks.exists(name):
            return
        for attempt in range(SUBNET_ATTEMPTS):
            try:
                self._create_network(name, ula_subnet(name, attempt))
                return
            except podman.errors.APIError as exc:
                text = error_text(exc)
                exists = "already used" in text or "already exists" in text
                if exists and self.client.networks.exists(name):
                    return  # created meanwhile by someone else
                if attempt == 0 and ("ipv6" in text.lower() and "unknown" in text.lower()):
                    self._create_network(name, None)
                    return
                overlap = (
                    "is being used by a network interface" in text
                    or "is already being used by a cni configuration" in text
                    or "is already used on the host or by another config" in text
                )
                if not overlap:
                    raise
        raise ProviderError(
            f"could not create network {name!r}: exhausted attempts to find a "
            "non-overlapping IPv6 subnet"
        )

    def _network_subnets(self, name: str) -> list[str]:
        attrs = self.client.networks.get(name).attrs
        subnets = [str(s["subnet"]) for s in attrs.get("subnets") or () if s.get("subnet")]
        for plugin in attrs.get("plugins") or ():  # CNI-era layout
            for ranges in (plugin.get("ipam") or {}).get("ranges") or ():
                subnets.extend(str(r["subnet"]) for r in ranges if r.get("subnet"))
        return subnets

    # ------------------------------------------------------------ containers
    def _create_container(self, request: ContainerRequest) -> None:
        spec: dict[str, Any] = {
            "name": request.name,
            "hostname": request.hostname,
            "image": sanitize_image(request.image),
            "labels": dict(request.labels),
            "env": dict(request.env),
            "terminal": True,
            "netns": {"nsmode": "bridge"},
            "Networks": {request.network: {}},
            "cgroupns": {"nsmode": "private"},
            "portmappings": [
                {
                    "host_ip": p.host_ip,
                    "host_port": p.host_port,
                    "container_port": p.container_port,
                    "protocol": p.protocol,
                }
                for p in request.ports
            ],
            "mounts": [
                {
                    "destination": b.target,
                    "source": b.source,
                    "type": "bind",
                    "options": [*b.options],
                }
                for b in request.binds
            ],
        }
        if request.sysctls:
            spec["sysctl"] = dict(request.sysctls)
        if request.devices:
            spec["devices"] = [{"path": d} for d in request.devices]
        if request.node:
            spec["privileged"] = True
            spec["mounts"] += [
                {"destination": d, "source": "tmpfs", "type": "tmpfs", "options": []}
                for d in ("/tmp", "/run")
            ]
            # upstream pre-creates the /var volume, labelled with the node name, so mount
            # options can be given and it can be found (and removed) with the node
            volume = self.client.volumes.create(labels={request.name: "true"})
            spec["volumes"] = [
                {"Name": volume.name, "Dest": "/var", "Options": ["suid", "exec", "dev"]}
            ]
        api = self.client.api
        try:
            response = api.post(
                "/containers/create",
                data=json.dumps(spec),
                headers={"Content-Type": "application/json"},
            )
            response.raise_for_status()
        except Exception:
            if request.node:  # no container owns the volume: remove it now
                with contextlib.suppress(Exception):
                    self.client.volumes.get(spec["volumes"][0]["Name"]).remove(force=True)
            raise
        container_id = response.json()["Id"]
        api.post(f"/containers/{container_id}/start").raise_for_status()

    def _is_name_conflict(self, exc: BaseException) -> bool:
        # podman 4 answers a taken name with HTTP 500 ("... that name is already in use")
        return "name is already in use" in str(exc) or super()._is_name_conflict(exc)

    def _remove_container(self, name: str) -> None:
        """``podman rm -f -v`` without the stop grace period (docker's ``rm -f`` kills too)."""
        import podman.errors

        with self._call(f"removing node {name}"):
            response = self.client.api.delete(
                f"/containers/{name}", params={"force": True, "v": True, "timeout": 0}
            )
            try:
                response.raise_for_status()
            except podman.errors.NotFound:
                return
            reports = response.json() if response.content else []
            for report in reports if isinstance(reports, list) else ():
                if report.get("Err"):
                    raise ProviderError(f"Podman error while removing node {name}: {report['Err']}")

    def _after_delete(self, names: Sequence[str]) -> None:
        import podman.errors

        for name in names:
            for volume in self.client.volumes.list(filters={"label": name}):
                try:
                    volume.remove(force=True)
                except podman.errors.APIError as exc:
                    # gone meanwhile (podman may answer 500 "no such volume", not 404)
                    if not isinstance(exc, podman.errors.NotFound) and (
                        "no such volume" not in str(exc)
                    ):
                        raise

    def _exec_api(self) -> Any:
        if self._compat is None:
            with self._compat_lock:
                if self._compat is None:
                    url = urlparse(self.endpoint)
                    if url.scheme not in ("unix", "tcp", "http"):
                        raise ProviderError(
                            f"running commands in nodes needs a unix or tcp Podman endpoint, "
                            f"not {self.endpoint}"
                        )
                    import docker

                    self._compat = docker.APIClient(
                        base_url=self.endpoint,
                        version=COMPAT_API_VERSION,
                        timeout=REQUEST_TIMEOUT,
                        max_pool_size=32,
                    )
        return self._compat

    # ------------------------------------------------------------ images
    def image_id(self, image: str) -> str | None:
        import podman.errors

        with self._call(f"inspecting image {image}"):
            try:
                return str(self.client.images.get(sanitize_image(image)).id)
            except (podman.errors.ImageNotFound, podman.errors.NotFound):
                return None

    def pull_image(self, image: str, *, progress: Callable[[str], None] | None = None) -> None:
        """Pull ``image`` (libpod's streaming pull), retried like upstream unless the error is
        permanent. Raises ImageNotFoundError when it cannot be pulled."""
        ref = sanitize_image(image)
        error = ""
        for attempt in range(self.pull_retries + 1):
            if attempt:
                time.sleep(attempt)
            try:
                error = self._pull_once(ref, progress)
            except ProviderError as exc:
                if type(exc) not in (ProviderError, ImageNotFoundError):
                    raise
                error = str(exc)
            if not error:
                return
            if any(p in error.lower() for p in _PERMANENT_PULL_ERRORS):
                break
        raise ImageNotFoundError(
            f"image {image!r} is not present in Podman and could not be pulled: {error}"
        )

    def _pull_once(self, ref: str, progress: Callable[[str], None] | None) -> str:
        """One pull; returns the error text ("" on success)."""
        with self._call(f"pulling image {ref}"):
            response = self.client.api.post(
                "/images/pull", params={"reference": ref, "quiet": False}, stream=True
            )
            response.raise_for_status()
            try:
                for line in response.iter_lines():
                    if not line:
                        continue
                    event = json.loads(line)
                    if event.get("error"):
                        return str(event["error"])
                    if progress is not None and event.get("stream"):
                        progress(str(event["stream"]).strip())
            finally:
                response.close()
        return ""

    def save_images(self, images: Sequence[str]) -> Iterator[bytes]:
        """One docker-archive holding all ``images`` (libpod's multi-image export), streamed."""
        if not images:
            raise ValueError("no images to save")
        with self._call("saving images " + ", ".join(images)):
            response = self.client.api.get(
                "/images/export",
                params={
                    "format": "docker-archive",
                    "compress": False,
                    "references": [sanitize_image(i) for i in images],
                },
                stream=True,
            )
            try:
                response.raise_for_status()
            except Exception:
                response.close()
                raise
        return self._stream(response)
