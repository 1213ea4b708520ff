"""The docker node provider: upstream kind's docker provider through the ``docker`` SDK.

Containers are created with the SDK's low-level API so every upstream ``docker run`` flag maps
one to one (an anonymous ``/var`` volume, ``--restart=on-failure:1``, ``--init=false``,
``--cgroupns=private``, ...). Exec streams stdin over the hijacked exec socket.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from pykind.errors import ImageNotFoundError, ProviderError, PykindError
from pykind.runtime.engine import ContainerRequest, EngineProvider, error_text
from pykind.runtime.engine_net import ula_subnet
from pykind.runtime.protocols import ProviderInfo
from pykind_docker.endpoint import default_endpoint

#: Seconds an SDK request may take.
REQUEST_TIMEOUT = 300
MASQUERADE_OPTION = "com.docker.network.bridge.enable_ip_masquerade"
MTU_OPTION = "com.docker.network.driver.mtu"
#: Attempts at finding a free IPv6 subnet for the network, as upstream.
SUBNET_ATTEMPTS = 5
#: Pull errors for which retrying cannot help.
_PERMANENT_PULL_ERRORS = (
    "not found",
    "manifest unknown",
    "pull access denied",
    "repository does not exist",
    "no such host",
    "invalid reference",
)


class DockerProvider(EngineProvider):
    """Nodes as Docker containers (upstream kind's default provider)."""

    name = "docker"
    display_name = "Docker"
    network_env = "KIND_EXPERIMENTAL_DOCKER_NETWORK"
    container_env = "docker"

    @classmethod
    def default_endpoint(cls) -> str:
        return default_endpoint()

    def _connect(self) -> Any:
        import docker

        if self.endpoint == default_endpoint():
            # from_env also honours DOCKER_TLS_VERIFY / DOCKER_CERT_PATH
            return docker.from_env(version="auto", timeout=REQUEST_TIMEOUT, max_pool_size=32)
        return docker.DockerClient(
            base_url=self.endpoint, version="auto", timeout=REQUEST_TIMEOUT, max_pool_size=32
        )

    # ------------------------------------------------------------ errors
    def _translate(self, exc: BaseException, what: str) -> PykindError | None:
        import docker.errors
        import requests

        if isinstance(exc, docker.errors.ImageNotFound):
            return ImageNotFoundError(f"image not found in Docker while {what}: {error_text(exc)}")
        if isinstance(exc, docker.errors.APIError):
            return ProviderError(f"Docker error while {what}: {error_text(exc)}")
        if isinstance(exc, docker.errors.DockerException):
            cause: BaseException | None = exc
            while cause is not None:
                if isinstance(cause, requests.exceptions.ConnectionError | ConnectionError):
                    return self._unavailable()
                cause = cause.__cause__ or cause.__context__
            if "Error while fetching server API version" in str(exc):
                return self._unavailable()
            return ProviderError(f"Docker error while {what}: {exc}")
        return super()._translate(exc, what)

    def _is_not_found(self, exc: BaseException) -> bool:
        """NotFound, or a removal another client already started (the container is going)."""
        import docker.errors

        if isinstance(exc, docker.errors.NotFound):
            return True
        return isinstance(exc, docker.errors.APIError) and "already in progress" in error_text(exc)

    # ------------------------------------------------------------ engine facts
    def _load_info(self) -> ProviderInfo:
        info = self._engine_info()
        options = tuple(str(o) for o in info.get("SecurityOptions") or ())
        limits = info.get("CgroupDriver") != "none"
        return ProviderInfo(
            name=self.name,
            version=str(info.get("ServerVersion", "")),
            rootless=any("name=rootless" in o.split(",") for o in options),
            cgroup2=str(info.get("CgroupVersion", "")) == "2",
            supports_memory_limit=limits and bool(info.get("MemoryLimit")),
            supports_pids_limit=limits and bool(info.get("PidsLimit")),
            security_options=options,
            endpoint=self.endpoint,
        )

    def _userns_remap(self) -> bool:
        return any(
            "name=userns" in str(o) for o in self._engine_info().get("SecurityOptions") or ()
        )

    def _needs_dev_mapper(self) -> bool:
        info = self._engine_info()
        if info.get("Driver") in ("btrfs", "zfs", "devicemapper"):
            return True
        for item in info.get("DriverStatus") or ():
            if len(item) == 2 and item[0] == "Backing Filesystem":
                return item[1] in ("btrfs", "zfs", "xfs")
        return False

    def _engine_proxy_env(self) -> dict[str, str]:
        info = self._engine_info()
        envs: dict[str, str] = {}
        for key, field in (("HTTP_PROXY", "HTTPProxy"), ("HTTPS_PROXY", "HTTPSProxy")):
            if info.get(field):
                envs[key] = envs[key.lower()] = str(info[field])
        if info.get("NoProxy"):
            envs["NO_PROXY"] = envs["no_proxy"] = str(info["NoProxy"])
        return envs

    # ------------------------------------------------------------ network (upstream rules)
    def _networks_named(self, name: str) -> list[dict[str, Any]]:
        found = self.client.api.networks(names=[name])
        return [n for n in found if n.get("Name") == name]

    def _remove_duplicate_networks(self, name: str) -> bool:
        """Keep one network called ``name`` (most containers, then lowest ID); True if any."""
        import docker.errors

        networks = self._networks_named(name)
        if len(networks) > 1:
            detailed = []
            for net in networks:
                try:
                    detailed.append(self.client.api.inspect_network(net["Id"]))
                except docker.errors.NotFound:
                    continue
            detailed.sort(key=lambda n: (-len(n.get("Containers") or {}), n["Id"]))
            for extra in detailed[1:]:
                with contextlib.suppress(docker.errors.NotFound):
                    self.client.api.remove_network(extra["Id"])
            return bool(detailed)
        return bool(networks)

    def _default_mtu(self) -> int:
        import docker.errors

        try:
            options = self.client.api.inspect_network("bridge").get("Options") or {}
            return int(options.get(MTU_OPTION, 0))
        except (docker.errors.APIError, ValueError):
            return 0

    def _create_network(self, name: str, ipv6_subnet: str | None, mtu: int) -> None:
        """``docker network create`` as upstream; an "already exists" race is fine, and any
        duplicate left by a racing creator is removed afterwards."""
        import docker.errors
        from docker.types import IPAMConfig, IPAMPool

        options = {MASQUERADE_OPTION: "true"}
        if mtu > 0:
            options[MTU_OPTION] = str(mtu)
        try:
            self.client.api.create_network(
                name,
                driver="bridge",
                options=options,
                ipam=IPAMConfig(pool_configs=[IPAMPool(subnet=ipv6_subnet)])
                if ipv6_subnet
                else None,
                enable_ipv6=bool(ipv6_subnet),
                check_duplicate=True,
            )
        except docker.errors.APIError as exc:
            text = error_text(exc)
            if not ("network with name" in text and "already exists" in text):
                raise
        self._remove_duplicate_networks(name)

    def _ensure_network(self, name: str) -> None:
        import docker.errors

        if self._remove_duplicate_networks(name):
            return
        mtu = self._default_mtu()
        for attempt in range(SUBNET_ATTEMPTS):
            try:
                self._create_network(name, ula_subnet(name, attempt), mtu)
                return
            except docker.errors.APIError as exc:
                text = error_text(exc)
                if attempt == 0 and "Cannot read IPv6 setup for bridge" in text:
                    # no IPv6 on this host: one attempt with automatic IPv4-only IPAM
                    self._create_network(name, None, mtu)
                    return
                overlap = (
                    "Pool overlaps with other one" in text or "networks have overlapping" in text
                )
                if not overlap:
                    raise
                # an overlap may mean another process just created it
                if self._networks_named(name):
                    return
        raise ProviderError(
            f"could not create network {name!r}: exhausted attempts to find a "
            "non-overlapping IPv6 subnet"
        )

    def _network_subnets(self, name: str) -> list[str]:
        ipam = self.client.api.inspect_network(name).get("IPAM") or {}
        return [str(c["Subnet"]) for c in ipam.get("Config") or () if c.get("Subnet")]

    # ------------------------------------------------------------ containers
    def _create_container(self, request: ContainerRequest) -> None:
        api = self.client.api
        port_bindings: dict[str, list[tuple[str, int]]] = {}
        for p in request.ports:
            port_bindings.setdefault(f"{p.container_port}/{p.protocol}", []).append(
                (p.host_ip, p.host_port)
            )
        host_config = api.create_host_config(
            binds=[b.spec for b in request.binds] or None,
            port_bindings=port_bindings or None,
            privileged=request.node,
            security_opt=["seccomp=unconfined", "apparmor=unconfined"] if request.node else None,
            tmpfs={"/tmp": "", "/run": ""} if request.node else None,
            restart_policy={"Name": "on-failure", "MaximumRetryCount": 1},
            init=False,
            cgroupns="private",
            sysctls=dict(request.sysctls) or None,
            devices=list(request.devices) or None,
            network_mode=request.network,
            userns_mode="host" if self._userns_remap() else None,
        )
        created = api.create_container(
            image=request.image,
            name=request.name,
            hostname=request.hostname,
            labels=dict(request.labels),
            environment=[f"{k}={v}" for k, v in request.env.items()],
            tty=True,
            detach=True,
            volumes=["/var"] if request.node else None,
            ports=[(p.container_port, p.protocol) for p in request.ports] or None,
            host_config=host_config,
            networking_config=api.create_networking_config(
                {request.network: api.create_endpoint_config()}
            ),
        )
        api.start(created["Id"])

    def _exec_api(self) -> Any:
        return self.client.api

    # ------------------------------------------------------------ images
    def image_id(self, image: str) -> str | None:
        import docker.errors

        with self._call(f"inspecting image {image}"):
            try:
                return str(self.client.api.inspect_image(image)["Id"])
            except docker.errors.NotFound:
                return None

    def pull_image(self, image: str, *, progress: Callable[[str], None] | None = None) -> None:
        """Pull ``image``, reporting progress lines; retried like upstream unless the error
        is permanent. Raises ImageNotFoundError when it cannot be pulled."""
        import docker.errors

        error = ""
        for attempt in range(self.pull_retries + 1):
            if attempt:
                time.sleep(attempt)
            try:
                with self._call(f"pulling image {image}"):
                    for event in self.client.api.pull(image, stream=True, decode=True):
                        if event.get("error"):
                            raise docker.errors.APIError(str(event["error"]))
                        if progress is not None and event.get("status"):
                            line = " ".join(
                                str(event[k]) for k in ("id", "status", "progress") if event.get(k)
                            )
                            progress(line)
                return
            except ProviderError as exc:
                if type(exc) not in (ProviderError, ImageNotFoundError):
                    raise  # unreachable engine: no point retrying
                error = error_text(exc.__cause__) if exc.__cause__ else str(exc)
                if any(p in error.lower() for p in _PERMANENT_PULL_ERRORS):
                    break
        raise ImageNotFoundError(
            f"image {image!r} is not present in Docker and could not be pulled: {error}"
        )

    def save_images(self, images: Sequence[str]) -> Iterator[bytes]:
        """``docker save`` of all ``images`` as one archive, streamed in chunks."""
        import docker.errors

        if not images:
            raise ValueError("no images to save")
        api = self.client.api
        with self._call("saving images " + ", ".join(images)):
            response = api._get(
                api._url("/images/get"), params={"names": list(images)}, stream=True
            )
            try:
                api._raise_for_status(response)
            except docker.errors.NotFound as exc:
                response.close()
                raise ImageNotFoundError(
                    f"cannot save images {', '.join(images)}: {error_text(exc)}"
                ) from exc
            except Exception:
                response.close()
                raise
        return self._stream(response)
