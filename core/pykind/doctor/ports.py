"""Which host ports a cluster config publishes, whether they are free, and who holds them.

Listening sockets come from ``/proc/net/{tcp,tcp6,udp,udp6}``; the process holding one is
found by matching its inode against the ``socket:[inode]`` links in ``/proc/<pid>/fd`` (only
processes we may inspect: run as root to see everyone's).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pykind.config.models import ClusterConfig

PROC = Path("/proc")
#: ``st`` column values: TCP LISTEN; UDP sockets are "bound" in state 07 (CLOSE).
TCP_LISTEN = "0A"
UDP_BOUND = "07"
DEFAULT_UNPRIVILEGED_PORT_START = 1024
_WILDCARDS = ("0.0.0.0", "::")


@dataclass(frozen=True)
class WantedPort:
    """A host port a cluster config publishes."""

    address: str
    port: int
    protocol: str
    #: The config field asking for it (``nodes[0].extraPortMappings[1].hostPort``).
    field: str


@dataclass(frozen=True)
class Listener:
    """A socket bound on the host."""

    address: str
    port: int
    protocol: str
    inode: int


@dataclass(frozen=True)
class Owner:
    pid: int
    command: str

    def __str__(self) -> str:
        return f"{self.command} (pid {self.pid})"


def wanted_ports(config: ClusterConfig) -> list[WantedPort]:
    """Fixed host ports of ``config`` (0 and -1 mean "any free port" and are left out)."""
    cfg = config.with_defaults()
    net = cfg.networking
    wanted = []
    if net.api_server_port > 0:
        wanted.append(
            WantedPort(
                net.api_server_address, net.api_server_port, "tcp", "networking.apiServerPort"
            )
        )
    for i, node in enumerate(cfg.nodes):
        for j, mapping in enumerate(node.extra_port_mappings):
            if mapping.host_port > 0:
                wanted.append(
                    WantedPort(
                        mapping.listen_address or "0.0.0.0",
                        mapping.host_port,
                        mapping.protocol.value.lower(),
                        f"nodes[{i}].extraPortMappings[{j}].hostPort",
                    )
                )
    return wanted


def _decode_address(hex_address: str) -> str:
    """``0100007F`` -> ``127.0.0.1``; IPv6 as four little-endian 32-bit words."""
    raw = bytes.fromhex(hex_address)
    swapped = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    return str(ipaddress.ip_address(swapped))


def listeners(protocol: str, proc: Path = PROC) -> list[Listener]:
    """Sockets listening (TCP) or bound (UDP) for ``protocol`` (``tcp``/``udp``/``sctp``)."""
    if protocol not in ("tcp", "udp"):
        return []  # SCTP sockets are not listed in /proc/net in a parseable form
    state = TCP_LISTEN if protocol == "tcp" else UDP_BOUND
    found = []
    for table in (protocol, protocol + "6"):
        try:
            lines = (proc / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10 or fields[3] != state:
                continue
            address, _, port = fields[1].partition(":")
            try:
                found.append(
                    Listener(_decode_address(address), int(port, 16), protocol, int(fields[9]))
                )
            except ValueError:
                continue
    return found


def _overlaps(a: str, b: str) -> bool:
    if a in _WILDCARDS or b in _WILDCARDS:
        return True
    try:
        left, right = ipaddress.ip_address(a), ipaddress.ip_address(b)
    except ValueError:
        return a == b
    if isinstance(left, ipaddress.IPv6Address) and left.ipv4_mapped is not None:
        left = left.ipv4_mapped
    if isinstance(right, ipaddress.IPv6Address) and right.ipv4_mapped is not None:
        right = right.ipv4_mapped
    return left == right


def holders(wanted: WantedPort, proc: Path = PROC) -> list[Listener]:
    """Sockets already bound where ``wanted`` would bind."""
    return [
        s
        for s in listeners(wanted.protocol, proc)
        if s.port == wanted.port and _overlaps(s.address, wanted.address)
    ]


def _pids(proc: Path) -> Iterator[Path]:
    try:
        entries = list(proc.iterdir())
    except OSError:
        return
    for entry in entries:
        if entry.name.isdigit():
            yield entry


def owner(inode: int, proc: Path = PROC) -> Owner | None:
    """The first process with socket ``inode`` open, when we may look into it."""
    target = f"socket:[{inode}]"
    for pid_dir in _pids(proc):
        try:
            fds = list((pid_dir / "fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd) != target:
                    continue
            except OSError:
                continue
            try:
                command = (pid_dir / "comm").read_text().strip()
            except OSError:
                command = "?"
            return Owner(int(pid_dir.name), command)
    return None


def unprivileged_port_start(proc: Path = PROC) -> int:
    """``net.ipv4.ip_unprivileged_port_start`` (1024 when unreadable)."""
    try:
        return int((proc / "sys/net/ipv4/ip_unprivileged_port_start").read_text().strip())
    except (OSError, ValueError):
        return DEFAULT_UNPRIVILEGED_PORT_START


def describe_holders(found: list[Listener], proc: Path = PROC) -> str:
    """``docker-proxy (pid 42)``, or a hint when the owner cannot be seen."""
    for sock in found:
        who = owner(sock.inode, proc)
        if who is not None:
            return str(who)
    return "a process we may not inspect (run as root to see which)"
