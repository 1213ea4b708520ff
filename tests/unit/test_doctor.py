"""``kind doctor`` checks over fake /proc and /sys trees, a real socket and the fake provider."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pykind.config.models import ClusterConfig
from pykind.doctor import any_failed, host, ports, run_checks
from pykind.doctor import engine as engine_checks
from pykind.doctor.result import ERROR, INFO, WARNING, CheckResult
from pykind.errors import ProviderUnavailableError
from pykind.runtime.protocols import ProviderInfo
from pykind.testing.fakes import FakeProvider


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


TCP_HEADER = (
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt"
    "   uid  timeout inode\n"
)


def tcp_line(address_hex: str, port: int, state: str, inode: int) -> str:
    return (
        f"   0: {address_hex}:{port:04X} 00000000:0000 {state} 00000000:00000000 "
        f"00:00000000 00000000  1000        0 {inode} 1 0000000000000000 100 0 0 10 0\n"
    )


@pytest.fixture
def proc(tmp_path: Path) -> Path:
    """A fake /proc: generous limits, IPv6 on, one listener 127.0.0.1:8080 held by pid 42."""
    root = tmp_path / "proc"
    write(root, "sys/fs/inotify/max_user_watches", "524288\n")
    write(root, "sys/fs/inotify/max_user_instances", "512\n")
    write(root, "sys/net/ipv4/ip_unprivileged_port_start", "1024\n")
    write(root, "sys/net/ipv6/conf/all/disable_ipv6", "0\n")
    write(root, "net/if_inet6", "00000000000000000000000000000001 01 80 10 80       lo\n")
    write(root, "net/tcp", TCP_HEADER + tcp_line("0100007F", 8080, "0A", 555))
    ipv6_any = "0" * 32
    write(root, "net/tcp6", TCP_HEADER + tcp_line(ipv6_any, 9090, "0A", 777))
    write(root, "net/udp", TCP_HEADER + tcp_line("00000000", 5353, "07", 888))
    write(root, "modules", "")
    write(root, "42/comm", "docker-proxy\n")
    (root / "42/fd").mkdir(parents=True)
    os.symlink("socket:[555]", root / "42/fd/3")
    os.symlink("/dev/null", root / "42/fd/0")
    return root


@pytest.fixture
def sys_root(tmp_path: Path) -> Path:
    root = tmp_path / "sys"
    for name in ("overlay", "br_netfilter", "nf_conntrack", "nf_tables"):
        (root / "module" / name).mkdir(parents=True)
    return root


def test_check_result_symbols() -> None:
    assert CheckResult("a", True).symbol == "✓"
    assert CheckResult("a", False, ERROR).symbol == "✗"
    assert CheckResult("a", False, WARNING).symbol == "!"
    assert CheckResult("a", True, INFO).symbol == "!"
    assert CheckResult("a", False, ERROR).failed
    assert not CheckResult("a", False, WARNING).failed
    with pytest.raises(ValueError):
        CheckResult("a", True, "fatal")


def test_inotify(proc: Path) -> None:
    assert host.check_inotify(proc).ok
    write(proc, "sys/fs/inotify/max_user_watches", "8192\n")
    low = host.check_inotify(proc)
    assert (low.ok, low.severity) == (False, WARNING)
    assert "fs.inotify.max_user_watches=8192 (< 524288)" in low.message
    assert "sudo sysctl fs.inotify.max_user_watches=524288 fs.inotify.max_user_instances=512" in (
        low.advice
    )


def test_kernel_modules(proc: Path, sys_root: Path) -> None:
    assert host.check_kernel_modules(sys_root, proc).ok
    (sys_root / "module/br_netfilter").rmdir()
    missing = host.check_kernel_modules(sys_root, proc)
    assert not missing.ok and "br_netfilter" in missing.message
    assert missing.advice.startswith("sudo modprobe -a br_netfilter")
    write(proc, "modules", "br_netfilter 32768 0 - Live 0x0000000000000000\n")
    assert host.check_kernel_modules(sys_root, proc).ok
    write(proc, "modules", "")
    # built in without parameters: no /sys/module entry, but its sysctls exist
    write(proc, "sys/net/bridge/bridge-nf-call-iptables", "1\n")
    assert host.check_kernel_modules(sys_root, proc).ok
    (sys_root / "module/overlay").rmdir()
    assert "overlay" in host.check_kernel_modules(sys_root, proc).message
    write(proc, "filesystems", "nodev\tsysfs\nnodev\toverlay\n")
    assert host.check_kernel_modules(sys_root, proc).ok


def test_ipv6(proc: Path) -> None:
    assert host.check_ipv6("dual", proc).ok
    write(proc, "sys/net/ipv6/conf/all/disable_ipv6", "1\n")
    assert host.check_ipv6(None, proc).severity == INFO
    needed = host.check_ipv6("ipv6", proc)
    assert needed.failed and "ipFamily ipv6" in needed.message


def test_disk(tmp_path: Path) -> None:
    assert host.check_disk(str(tmp_path)).message.endswith(f"free in {tmp_path}")
    assert host.check_disk(None).severity == INFO
    assert host.check_disk(str(tmp_path / "missing")).severity == INFO


def test_listeners_are_decoded(proc: Path) -> None:
    tcp = ports.listeners("tcp", proc)
    assert {(s.address, s.port) for s in tcp} == {("127.0.0.1", 8080), ("::", 9090)}
    assert ports.listeners("udp", proc)[0].port == 5353
    assert ports._decode_address("00000000000000000000000001000000") == "::1"
    assert ports.owner(555, proc) == ports.Owner(42, "docker-proxy")
    assert ports.owner(777, proc) is None


def config_with_ports(*mappings: dict[str, object], api_port: int = 0) -> ClusterConfig:
    return ClusterConfig.model_validate(
        {
            "networking": {"apiServerPort": api_port},
            "nodes": [{"role": "control-plane", "extraPortMappings": list(mappings)}],
        }
    )


def test_ports_in_use_name_the_holder(proc: Path) -> None:
    cfg = config_with_ports(
        {"containerPort": 80, "hostPort": 8080},
        {"containerPort": 81, "hostPort": 9090, "listenAddress": "127.0.0.1"},
        {"containerPort": 82, "hostPort": 8081},
        {"containerPort": 83},  # random port: not checked
        api_port=6443,
    )
    wanted = ports.wanted_ports(cfg)
    assert [w.field for w in wanted] == [
        "networking.apiServerPort",
        "nodes[0].extraPortMappings[0].hostPort",
        "nodes[0].extraPortMappings[1].hostPort",
        "nodes[0].extraPortMappings[2].hostPort",
    ]
    results = host.check_ports(wanted, rootless=False, proc=proc)
    assert [r.ok for r in results] == [True, False, False, True]
    assert "in use by docker-proxy (pid 42)" in results[1].message
    assert "stop docker-proxy" in results[1].advice
    assert "a process we may not inspect" in results[2].message  # :: covers 127.0.0.1


def test_rootless_low_ports_name_the_sysctl(proc: Path) -> None:
    wanted = ports.wanted_ports(config_with_ports({"containerPort": 80, "hostPort": 80}))
    assert host.check_ports(wanted, rootless=False, proc=proc)[0].ok
    result = host.check_ports(wanted, rootless=True, proc=proc)[0]
    assert result.failed
    assert "net.ipv4.ip_unprivileged_port_start=1024" in result.message
    assert result.advice.startswith("sudo sysctl net.ipv4.ip_unprivileged_port_start=80")


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc")
def test_a_real_listener_is_found_with_its_owner(busy_port: int) -> None:
    want = ports.WantedPort("0.0.0.0", busy_port, "tcp", "x")
    problem = host.port_problem(want, rootless=False)
    assert problem is not None
    assert f"pid {os.getpid()}" in problem[0]


def test_cgroup_checks() -> None:
    ok = ProviderInfo(name="docker", version="20.10.24", cgroup2=True)
    assert engine_checks.check_cgroups(ok).ok
    v1 = ProviderInfo(name="docker", cgroup2=False)
    assert engine_checks.check_cgroups(v1).severity == WARNING
    rootless_v1 = ProviderInfo(name="podman", rootless=True, cgroup2=False)
    assert engine_checks.check_cgroups(rootless_v1).failed
    undelegated = ProviderInfo(name="podman", rootless=True, supports_pids_limit=False)
    assert "not delegated" in engine_checks.check_cgroups(undelegated).message


def test_rootless_delegation(tmp_path: Path) -> None:
    path = "fs/cgroup/user.slice/user-1000.slice/user@1000.service/cgroup.controllers"
    write(tmp_path, path, "cpuset cpu io memory pids\n")
    assert host.check_rootless_delegation(1000, tmp_path).ok
    write(tmp_path, path, "memory pids\n")
    result = host.check_rootless_delegation(1000, tmp_path)
    assert result.failed and "cpu, cpuset, io" in result.message


def test_versions() -> None:
    assert engine_checks.check_version(ProviderInfo(name="docker", version="20.10.24+dfsg1")).ok
    old = engine_checks.check_version(ProviderInfo(name="docker", version="19.03.1"))
    assert old.severity == WARNING and not old.ok
    assert not engine_checks.check_version(ProviderInfo(name="podman", version="3.4.4")).ok
    assert engine_checks.check_version(ProviderInfo(name="other", version="1")).severity == INFO


class DeadProvider(FakeProvider):
    def info(self) -> ProviderInfo:
        raise ProviderUnavailableError("cannot reach Docker at unix:///nowhere: is it running?")


def test_run_checks_on_the_fake_provider(proc: Path, sys_root: Path) -> None:
    cfg = config_with_ports({"containerPort": 80, "hostPort": 8080})
    results = run_checks(FakeProvider(), cfg, proc=proc, sys_root=sys_root)
    names = [r.name for r in results]
    assert names == [
        "engine",
        "engine-version",
        "cgroups",
        "privileged",
        "inotify",
        "kernel-modules",
        "ipv6",
        "disk",
        "port 8080/tcp",
    ]
    assert results[3].severity == INFO  # the fake runs no containers
    assert any_failed(results) and [r.name for r in results if r.failed] == ["port 8080/tcp"]
    assert not any_failed(run_checks(FakeProvider(), None, proc=proc, sys_root=sys_root))


def test_an_unreachable_engine_fails_with_advice(proc: Path, sys_root: Path) -> None:
    dead = DeadProvider(name="docker")
    results = run_checks(dead, None, proc=proc, sys_root=sys_root)
    assert results[0].failed
    assert "unix:///nowhere" in results[0].message
    assert "systemctl start docker" in results[0].advice
    assert [r.name for r in results][1:] == ["inotify", "kernel-modules", "ipv6"]


def test_remote_engines_skip_host_checks(proc: Path) -> None:
    class Remote(FakeProvider):
        def info(self) -> ProviderInfo:
            return ProviderInfo(name="docker", version="24.0.0", endpoint="tcp://build:2376")

    results = run_checks(Remote(), config_with_ports({"containerPort": 1, "hostPort": 8080}))
    assert results[-1].name == "host" and "tcp://build:2376" in results[-1].message
    assert not any(r.name.startswith("port") for r in results)


def test_run_checks_reads_a_config_file(tmp_path: Path, proc: Path, sys_root: Path) -> None:
    path = tmp_path / "kind.yaml"
    path.write_text(
        "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnetworking:\n  ipFamily: ipv6\n"
    )
    write(proc, "sys/net/ipv6/conf/all/disable_ipv6", "1\n")
    results = run_checks(FakeProvider(), path, proc=proc, sys_root=sys_root)
    assert [r.name for r in results if r.failed] == ["ipv6"]
