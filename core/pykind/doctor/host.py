"""Checks of the machine the engine runs on (only meaningful when the engine is local):
inotify limits, kernel modules, IPv6, free disk space, rootless cgroup delegation, ports."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from pykind.doctor import ports as portlib
from pykind.doctor.result import CheckResult, failed, noted, passed, warned

PROC = Path("/proc")
SYS = Path("/sys")
#: Upstream's known-issues page: "Pod errors due to too many open files".
MIN_INOTIFY_WATCHES = 524288
MIN_INOTIFY_INSTANCES = 512
#: Any one module of a group will do (iptables: legacy ``ip_tables`` or ``nf_tables``).
KERNEL_MODULES: tuple[tuple[str, ...], ...] = (
    ("overlay",),
    ("br_netfilter",),
    ("nf_conntrack",),
    ("ip_tables", "nf_tables"),
)
#: Files (under /proc) that exist only when a module is loaded or built in: built-in modules
#: without parameters have no /sys/module entry.
MODULE_EVIDENCE = {
    "br_netfilter": ("sys/net/bridge/bridge-nf-call-iptables",),
    "nf_conntrack": ("sys/net/netfilter/nf_conntrack_max",),
    "ip_tables": ("net/ip_tables_names",),
}
#: Controllers a rootless engine needs delegated (upstream's rootless guide).
ROOTLESS_CONTROLLERS = ("cpu", "cpuset", "io", "memory", "pids")
DISK_ERROR_BYTES = 2 * 1024**3
DISK_WARNING_BYTES = 5 * 1024**3
GIB = 1024**3


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def check_inotify(proc: Path = PROC) -> CheckResult:
    watches = _read_int(proc / "sys/fs/inotify/max_user_watches")
    instances = _read_int(proc / "sys/fs/inotify/max_user_instances")
    if watches is None or instances is None:
        return noted("inotify", "could not read the inotify limits")
    low = []
    if watches < MIN_INOTIFY_WATCHES:
        low.append(f"fs.inotify.max_user_watches={watches} (< {MIN_INOTIFY_WATCHES})")
    if instances < MIN_INOTIFY_INSTANCES:
        low.append(f"fs.inotify.max_user_instances={instances} (< {MIN_INOTIFY_INSTANCES})")
    if not low:
        return passed(
            "inotify",
            f"inotify limits: max_user_watches={watches}, max_user_instances={instances}",
        )
    return warned(
        "inotify",
        "inotify limits are low: " + ", ".join(low) + " (pods may fail with 'too many open files')",
        f"sudo sysctl fs.inotify.max_user_watches={max(watches, MIN_INOTIFY_WATCHES)} "
        f"fs.inotify.max_user_instances={max(instances, MIN_INOTIFY_INSTANCES)} "
        "(persist it in /etc/sysctl.d/99-kind.conf)",
    )


def _module_loaded(name: str, sys_root: Path, proc: Path) -> bool:
    if (sys_root / "module" / name).exists():
        return True  # loaded, or built in with parameters
    if any((proc / rel).exists() for rel in MODULE_EVIDENCE.get(name, ())):
        return True
    if name == "overlay" and _has_filesystem("overlay", proc):
        return True
    try:
        modules = (proc / "modules").read_text()
    except OSError:
        return False
    return any(line.split(" ", 1)[0] == name for line in modules.splitlines())


def _has_filesystem(name: str, proc: Path) -> bool:
    try:
        listed = (proc / "filesystems").read_text()
    except OSError:
        return False
    return any(line.split()[-1:] == [name] for line in listed.splitlines())


def check_kernel_modules(sys_root: Path = SYS, proc: Path = PROC) -> CheckResult:
    if not (sys_root / "module").is_dir():
        return noted("kernel-modules", f"cannot list kernel modules ({sys_root}/module is missing)")
    missing = [
        group
        for group in KERNEL_MODULES
        if not any(_module_loaded(name, sys_root, proc) for name in group)
    ]
    if not missing:
        names = ", ".join("/".join(g) for g in KERNEL_MODULES)
        return passed("kernel-modules", f"kernel modules present: {names}")
    shown = ", ".join(" or ".join(g) for g in missing)
    load = " ".join(g[0] for g in missing)
    return warned(
        "kernel-modules",
        f"kernel modules not loaded: {shown} (nodes cannot load modules themselves)",
        f"sudo modprobe -a {load} (persist them in /etc/modules-load.d/kind.conf)",
    )


def ipv6_available(proc: Path = PROC) -> bool:
    if not (proc / "net/if_inet6").exists():
        return False
    disabled = _read_int(proc / "sys/net/ipv6/conf/all/disable_ipv6")
    return disabled in (None, 0)


def check_ipv6(wanted_family: str | None, proc: Path = PROC) -> CheckResult:
    """IPv6 on the host; an error only when the config asks for an ipv6 or dual cluster."""
    needs = wanted_family in ("ipv6", "dual")
    if ipv6_available(proc):
        return passed("ipv6", "IPv6 is enabled on the host")
    if needs:
        return failed(
            "ipv6",
            f"the config asks for ipFamily {wanted_family} but IPv6 is disabled on the host",
            "enable it: sudo sysctl net.ipv6.conf.all.disable_ipv6=0 (or boot without "
            "ipv6.disable=1), or use ipFamily: ipv4",
        )
    return noted("ipv6", "IPv6 is disabled on the host: only ipv4 clusters will work")


def check_disk(path: str | None) -> CheckResult:
    """Free space where the engine keeps images and containers."""
    if not path:
        return noted("disk", "the engine did not tell where it stores its data")
    try:
        stat = os.statvfs(path)
    except OSError as exc:
        return noted("disk", f"cannot check free space in {path}: {exc.strerror or exc}")
    free = stat.f_bavail * stat.f_frsize
    shown = f"{free / GIB:.1f} GiB free in {path}"
    advice = (
        "free some space (remove unused images and stopped containers) or move the "
        "engine's data root to a bigger disk"
    )
    if free < DISK_ERROR_BYTES:
        return failed("disk", f"only {shown}: a node needs a few GiB", advice)
    if free < DISK_WARNING_BYTES:
        return warned("disk", f"only {shown}: enough for a small cluster at most", advice)
    return passed("disk", shown)


def check_rootless_delegation(uid: int | None = None, sys_root: Path = SYS) -> CheckResult:
    """For a rootless engine on cgroup v2: the controllers systemd delegates to the user."""
    uid = os.getuid() if uid is None else uid
    path = (
        sys_root
        / "fs/cgroup/user.slice"
        / f"user-{uid}.slice"
        / f"user@{uid}.service"
        / "cgroup.controllers"
    )
    try:
        controllers = set(path.read_text().split())
    except OSError:
        return noted("cgroup-delegation", f"cannot read {path}")
    missing = [c for c in ROOTLESS_CONTROLLERS if c not in controllers]
    if not missing:
        return passed(
            "cgroup-delegation", "cgroup controllers delegated: " + " ".join(sorted(controllers))
        )
    return failed(
        "cgroup-delegation",
        "cgroup controllers not delegated to the user: " + ", ".join(missing),
        'create /etc/systemd/system/user@.service.d/delegate.conf with "[Service]" and '
        '"Delegate=yes", then sudo systemctl daemon-reload and log in again '
        "(see https://kind.sigs.k8s.io/docs/user/rootless/)",
    )


def port_problem(
    want: portlib.WantedPort, *, rootless: bool, proc: Path = PROC
) -> tuple[str, str] | None:
    """``(problem, advice)`` when ``want`` cannot be published, else None."""
    where = f"{want.address}:{want.port}/{want.protocol}"
    found = portlib.holders(want, proc)
    if found:
        who = portlib.describe_holders(found, proc)
        return (
            f"host port {where} is already in use by {who}",
            f"stop {who.split(' (')[0]} or choose another hostPort "
            f"(`sudo ss -lntup 'sport = :{want.port}'` shows the holder)",
        )
    start = portlib.unprivileged_port_start(proc)
    if rootless and want.port < start:
        return (
            f"host port {where} is below net.ipv4.ip_unprivileged_port_start={start}: "
            "a rootless engine cannot publish it",
            f"sudo sysctl net.ipv4.ip_unprivileged_port_start={want.port} (persist it in "
            f"/etc/sysctl.d/99-kind.conf), or choose a hostPort >= {start}",
        )
    return None


def check_ports(
    wanted: Sequence[portlib.WantedPort], *, rootless: bool, proc: Path = PROC
) -> list[CheckResult]:
    """One result per fixed host port: free, held by someone (named), or below the
    unprivileged port start for a rootless engine."""
    results = []
    for want in wanted:
        name = f"port {want.port}/{want.protocol}"
        problem = port_problem(want, rootless=rootless, proc=proc)
        if problem is None:
            where = f"{want.address}:{want.port}/{want.protocol}"
            results.append(passed(name, f"host port {where} ({want.field}) is free"))
        else:
            results.append(failed(name, f"{problem[0]} ({want.field})", problem[1]))
    return results
