"""Checks of the container engine: reachable, version, cgroups, privileged containers, where
it stores data and whether the cluster network can do IPv6."""

from __future__ import annotations

import contextlib
import re
import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pykind.doctor.result import CheckResult, failed, noted, passed, warned
from pykind.errors import PykindError

if TYPE_CHECKING:
    from pykind.runtime.protocols import NodeProvider, ProviderInfo

#: Versions pykind is tested with (older ones lack e.g. ``--cgroupns=private``).
MIN_VERSIONS = {"docker": (20, 10), "podman": (4, 0)}
#: A command that only works in a privileged container (mounting needs CAP_SYS_ADMIN).
PRIVILEGED_PROBE = ("mount", "-t", "tmpfs", "pykind-doctor", "/mnt")
#: Images tried for the privileged probe when the config names no present node image.
FALLBACK_PROBE_IMAGES = ("debian:bookworm",)
PROBE_LABEL = "io.x-k8s.pykind.doctor"
_VERSION = re.compile(r"(\d+)\.(\d+)")

_START_HINTS = {
    "docker": "start it (sudo systemctl start docker) or point DOCKER_HOST at a running one",
    "podman": "start its API socket (systemctl --user start podman.socket, or sudo systemctl "
    "start podman.socket for rootful) or point CONTAINER_HOST at one",
}


def check_engine(provider: NodeProvider) -> tuple[CheckResult, ProviderInfo | None]:
    """The engine answers; its facts (None when it does not)."""
    try:
        info = provider.info()
    except PykindError as exc:
        hint = _START_HINTS.get(provider.name, "start the container engine")
        return failed("engine", f"{provider.name} is not reachable: {exc}", hint), None
    where = f" at {info.endpoint}" if info.endpoint else ""
    mode = " (rootless)" if info.rootless else ""
    return passed("engine", f"{provider.name} {info.version}{mode} answers{where}"), info


def check_version(info: ProviderInfo) -> CheckResult:
    minimum = MIN_VERSIONS.get(info.name)
    match = _VERSION.search(info.version or "")
    if minimum is None or match is None:
        return noted("engine-version", f"{info.name} version {info.version or 'unknown'}")
    found = (int(match.group(1)), int(match.group(2)))
    wanted = ".".join(map(str, minimum))
    if found < minimum:
        return warned(
            "engine-version",
            f"{info.name} {info.version} is older than {wanted}, the oldest pykind is tested with",
            f"upgrade {info.name} to {wanted} or later",
        )
    return passed("engine-version", f"{info.name} {info.version} (>= {wanted})")


def check_cgroups(info: ProviderInfo) -> CheckResult:
    if info.rootless and not info.cgroup2:
        return failed(
            "cgroups",
            "a rootless engine needs cgroup v2, the host uses cgroup v1",
            "boot the host with cgroup v2 (systemd.unified_cgroup_hierarchy=1), "
            "see https://kind.sigs.k8s.io/docs/user/rootless/",
        )
    if info.rootless and not (info.supports_memory_limit and info.supports_pids_limit):
        return failed(
            "cgroups",
            "the rootless engine cannot limit memory or pids: controllers are not delegated",
            'set "Delegate=yes" for user@.service, '
            "see https://kind.sigs.k8s.io/docs/user/rootless/",
        )
    if not info.cgroup2:
        return warned(
            "cgroups",
            "the host uses cgroup v1: recent Kubernetes versions refuse to run on it",
            "boot the host with cgroup v2 (systemd.unified_cgroup_hierarchy=1)",
        )
    return passed("cgroups", "cgroup v2" + (" (rootless, delegated)" if info.rootless else ""))


def is_local(info: ProviderInfo) -> bool:
    """Whether the engine runs on this machine (so host checks and ports apply to it)."""
    endpoint = info.endpoint or ""
    return endpoint == "" or endpoint.startswith(("unix://", "npipe://", "/"))


def engine_info(provider: NodeProvider) -> dict[str, Any]:
    """The engine's raw ``info`` document (docker/podman providers), else {}."""
    getter = getattr(provider, "_engine_info", None)
    if not callable(getter):
        return {}
    try:
        data = getter()
    except PykindError:
        return {}
    return dict(data) if isinstance(data, dict) else {}


def data_root(provider: NodeProvider) -> str | None:
    """Where the engine stores images and containers (``DockerRootDir``/``graphRoot``)."""
    info = engine_info(provider)
    root = info.get("DockerRootDir") or (info.get("store") or {}).get("graphRoot")
    return str(root) if root else None


def probe_image(provider: NodeProvider, candidates: Sequence[str]) -> str | None:
    """The first of ``candidates`` (then the fallbacks) present in the engine."""
    for image in [*candidates, *FALLBACK_PROBE_IMAGES]:
        try:
            if provider.image_id(image) is not None:
                return image
        except PykindError:
            continue
    return None


def _run_probe(provider: Any, image: str) -> tuple[int, str]:
    """Run the privileged probe in a throw-away container; (exit code, output)."""
    client = provider.client
    name = f"pykind-doctor-{secrets.token_hex(4)}"
    with provider._call("running the privileged probe container"):
        container = client.containers.create(
            image,
            entrypoint=list(PRIVILEGED_PROBE),
            privileged=True,
            name=name,
            labels={PROBE_LABEL: "true"},
        )
        try:
            container.start()
            status = container.wait(timeout=120)
            code = int(status.get("StatusCode", 1)) if isinstance(status, dict) else int(status)
            logs = container.logs(stdout=True, stderr=True)
            if not isinstance(logs, bytes | bytearray):
                logs = b"".join(logs)
            return code, bytes(logs).decode("utf-8", "replace").strip()
        finally:
            with contextlib.suppress(Exception):
                container.remove(force=True)


def check_privileged(provider: NodeProvider, images: Sequence[str] = ()) -> CheckResult:
    """A privileged container can run and mount (nodes are privileged containers)."""
    if not hasattr(provider, "client") or not hasattr(provider, "_call"):
        return noted("privileged", f"the {provider.name} provider cannot run a probe container")
    image = probe_image(provider, images)
    if image is None:
        shown = ", ".join([*images, *FALLBACK_PROBE_IMAGES])
        return noted(
            "privileged",
            f"skipped: no image to probe with is present ({shown})",
            "pull or load the node image, then run kind doctor again",
        )
    try:
        code, output = _run_probe(provider, image)
    except PykindError as exc:
        return failed(
            "privileged",
            f"could not run a privileged container from {image}: {exc}",
            "kind nodes are privileged containers: allow them (rootless engines need "
            "cgroup v2 with delegation; check security policies such as SELinux or an "
            "authorization plugin)",
        )
    if code != 0:
        detail = f": {output}" if output else ""
        return failed(
            "privileged",
            f"a privileged container from {image} could not mount a tmpfs "
            f"(exit code {code}){detail}",
            "kind nodes need full privileges; check the engine's security options",
        )
    return passed("privileged", f"privileged containers work (probed with {image})")


def network_ipv6(provider: NodeProvider) -> bool | None:
    """Whether the existing cluster network has IPv6 (None: no such network or unknown)."""
    client = getattr(provider, "client", None)
    network_name = getattr(provider, "network_name", None)
    if client is None or not callable(network_name):
        return None
    name = str(network_name())
    try:
        if provider.name == "docker":
            found = [n for n in client.api.networks(names=[name]) if n.get("Name") == name]
            return bool(found[0].get("EnableIPv6")) if found else None
        attrs = client.networks.get(name).attrs
        return bool(attrs.get("ipv6_enabled"))
    except Exception:
        return None


def check_network(provider: NodeProvider, wanted_family: str | None) -> CheckResult | None:
    """An existing IPv4-only cluster network cannot host an ipv6 or dual cluster."""
    if wanted_family not in ("ipv6", "dual"):
        return None
    has_ipv6 = network_ipv6(provider)
    if has_ipv6 is None or has_ipv6:
        return passed("network", "the cluster network can carry IPv6 (or will be created so)")
    name = provider.network_name() if hasattr(provider, "network_name") else "kind"
    return failed(
        "network",
        f"the existing {provider.name} network {name!r} has no IPv6, "
        f"the config asks for ipFamily {wanted_family}",
        f"remove it once no cluster uses it ({provider.name} network rm {name}); "
        "kind creates it again with IPv6",
    )
