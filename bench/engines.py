"""The engines under test: their CLIs (the baselines), pykind's providers for them, the images
the benchmarks use, and clean-up of everything a run created.

Every cluster a run creates is named ``<prefix>-...`` (prefix ``pkb<hex>``, unique per run);
clean-up removes only containers and volumes carrying that prefix, never anyone else's.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.procs import BenchError, check_output

CLUSTER_LABEL = "io.x-k8s.kind.cluster"
ROLE_LABEL = "io.x-k8s.kind.role"
#: Label put on baseline podman volumes so clean-up can find them.
BENCH_LABEL = "pykind.bench"
#: Upstream's boot signal (systemd reached the multi-user target).
BOOT_RE = re.compile(r"Reached target .*Multi-User System|detected cgroup v1")
LOAD_IMAGE_REPO = "pykind-bench/load"
BOOT_TIMEOUT = 240.0

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Engine:
    """One container engine: its CLI, pykind's provider for it, and the bench images."""

    name: str
    prefix: str
    node_image: str = ""
    lb_image: str = ""
    created_volumes: list[str] = field(default_factory=list)
    #: Set when image content stayed in a node after removing the bench image.
    leftover_content: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # ------------------------------------------------------------ facts
    @property
    def cli(self) -> str:
        return self.name

    def available(self) -> str | None:
        """None when the engine answers, else why not."""
        if shutil.which(self.cli) is None:
            return f"{self.cli} is not installed"
        proc = subprocess.run(
            [self.cli, "version", "--format", "{{.Server.Version}}"],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        if proc.returncode != 0:
            return proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "no answer"
        return None

    def version(self) -> str:
        return check_output([self.cli, "version", "--format", "{{.Server.Version}}"]).strip()

    def provider(self) -> Any:
        """A fresh pykind provider for this engine (generous boot timeout: shared machine)."""
        if self.name == "docker":
            from pykind_docker.provider import DockerProvider

            return DockerProvider(boot_timeout=BOOT_TIMEOUT)
        from pykind_podman.provider import PodmanProvider

        return PodmanProvider(boot_timeout=BOOT_TIMEOUT)

    def kind_env(self, **extra: str) -> dict[str, str]:
        """Environment for ``kind`` processes: this engine, a throw-away kubeconfig."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("KIND_", "PYKIND_"))}
        if self.name != "docker":  # docker is what auto-detection picks first
            env["KIND_EXPERIMENTAL_PROVIDER"] = self.name
        env["KUBECONFIG"] = str(
            Path(os.environ.get("TMPDIR", "/tmp")) / f"{self.prefix}.kubeconfig"
        )
        env.update(extra)
        return env

    # ------------------------------------------------------------ images
    def prepare_images(self) -> None:
        sys.path.insert(0, str(ROOT))
        from tests.images.build import build_image

        self.node_image = build_image(self.name, "node")
        self.lb_image = build_image(self.name, "haproxy")

    def image_exists(self, ref: str) -> bool:
        proc = subprocess.run(
            [self.cli, "image", "inspect", ref], capture_output=True, check=False, timeout=120
        )
        return proc.returncode == 0

    def image_size_mib(self, ref: str) -> float:
        out = check_output([self.cli, "image", "inspect", "--format", "{{.Size}}", ref])
        return int(out.strip()) / 2**20

    def random_image(self, mib: int) -> str:
        """``pykind-bench/load:<mib>mb``: debian:bookworm plus a layer of ``mib`` MiB of random
        data; built once per engine and reused (cached by tag)."""
        tag = f"{LOAD_IMAGE_REPO}:{mib}mb"
        if self.image_exists(tag):
            return tag
        dockerfile = f"FROM debian:bookworm\nRUN head -c {mib}M /dev/urandom > /random-{mib}.bin\n"
        argv = [self.cli, "build", "--tag", tag]
        if self.name == "podman":
            argv += ["--format", "docker"]
        argv.append("-")
        proc = subprocess.run(
            argv, input=dockerfile.encode(), capture_output=True, check=False, timeout=1800
        )
        if proc.returncode != 0:
            raise BenchError(f"building {tag} failed: {proc.stderr.decode()[-500:]}")
        return tag

    # ------------------------------------------------------------ baseline containers
    def run_argv(self, request: Any) -> list[str]:
        """The ``<engine> run`` command upstream kind uses for a planned container
        (pykind's ContainerRequest: same name, labels, env, mounts, ports)."""
        argv = [self.cli, "run", "--name", request.name, "--hostname", request.hostname]
        argv += ["--detach", "--tty", "--net", request.network]
        for key, value in request.labels.items():
            argv += ["--label", f"{key}={value}"]
        for key, value in request.env.items():
            argv += ["-e", f"{key}={value}"]
        argv.append("--cgroupns=private")
        if self.name == "docker":
            argv += ["--restart=on-failure:1", "--init=false"]
        for key, value in request.sysctls.items():
            argv.append(f"--sysctl={key}={value}")
        for device in request.devices:
            argv += ["--device", device]
        if request.node:
            argv += ["--privileged", "--tmpfs", "/tmp", "--tmpfs", "/run"]
            if self.name == "docker":
                argv += [
                    "--security-opt",
                    "seccomp=unconfined",
                    "--security-opt",
                    "apparmor=unconfined",
                    "--volume",
                    "/var",
                ]
            else:
                argv += ["--volume", f"{self._var_volume(request.name)}:/var:suid,exec,dev"]
        for bind in request.binds:
            argv += ["--volume", bind.spec]
        for port in request.ports:
            host = f"[{port.host_ip}]" if ":" in port.host_ip else port.host_ip
            argv.append(f"--publish={host}:{port.host_port}:{port.container_port}/{port.protocol}")
        argv.append(request.image)
        return argv

    def _var_volume(self, node: str) -> str:
        """Upstream podman pre-creates the node's /var volume (labelled with the node name)."""
        out = check_output(
            [
                self.cli,
                "volume",
                "create",
                "--label",
                f"{node}=true",
                "--label",
                f"{BENCH_LABEL}={self.prefix}",
            ]
        )
        name = out.strip()
        with self._lock:
            self.created_volumes.append(name)
        return name

    def wait_for_boot(self, name: str, timeout: float = BOOT_TIMEOUT) -> None:
        """Upstream's wait: ``<engine> logs -f NAME`` until the boot line shows."""
        proc = subprocess.Popen(
            [self.cli, "logs", "-f", name],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            assert proc.stdout is not None
            for raw in proc.stdout:
                if BOOT_RE.search(raw.decode("utf-8", "replace")):
                    return
            raise BenchError(f"{name} did not boot within {timeout:.0f}s")
        finally:
            timer.cancel()
            proc.kill()
            proc.wait()

    # ------------------------------------------------------------ listing and removal
    def label_template(self, key: str) -> str:
        """``--format`` text printing a label, as upstream writes it for each engine."""
        if self.name == "podman":
            return '{{index .Labels "' + key + '"}}'
        return '{{.Label "' + key + '"}}'

    def containers(self, cluster_prefix: str) -> list[dict[str, str]]:
        """Containers whose cluster label starts with ``cluster_prefix``."""
        out = check_output(
            [
                self.cli,
                "ps",
                "-a",
                "--filter",
                f"label={CLUSTER_LABEL}",
                "--format",
                "{{.Names}}\t" + self.label_template(CLUSTER_LABEL),
            ]
        )
        found = []
        for line in out.splitlines():
            name, _, cluster = line.partition("\t")
            if cluster.startswith(cluster_prefix):
                found.append({"name": name.strip(), "cluster": cluster.strip()})
        return found

    def cluster_names(self) -> list[str]:
        """Every kind cluster on the engine (anyone's)."""
        out = check_output(
            [
                self.cli,
                "ps",
                "-a",
                "--filter",
                f"label={CLUSTER_LABEL}",
                "--format",
                self.label_template(CLUSTER_LABEL),
            ]
        )
        return sorted({line.strip() for line in out.splitlines() if line.strip()})

    def rm_argv(self, names: Sequence[str]) -> list[str]:
        """What upstream's delete runs: ``<engine> rm -f -v NAME...``."""
        return [self.cli, "rm", "-f", "-v", *names]

    def remove_volumes(self, names: Sequence[str]) -> None:
        if names:
            subprocess.run(
                [self.cli, "volume", "rm", "-f", *names], capture_output=True, check=False
            )

    def node_volumes(self, nodes: Sequence[str]) -> list[str]:
        """Podman volumes labelled with one of ``nodes`` (upstream's /var volumes)."""
        if self.name != "podman" or not nodes:
            return []
        found: list[str] = []
        for node in nodes:
            out = check_output(
                [self.cli, "volume", "ls", "--filter", f"label={node}", "--format", "{{.Name}}"]
            )
            found += [v.strip() for v in out.splitlines() if v.strip()]
        return found

    def cleanup(self) -> list[str]:
        """Remove every container and volume of this run; returns what was removed."""
        names = [c["name"] for c in self.containers(self.prefix)]
        volumes = self.node_volumes(names)
        if names:
            subprocess.run(self.rm_argv(names), capture_output=True, check=False, timeout=600)
        if self.name == "podman":
            out = subprocess.run(
                [
                    self.cli,
                    "volume",
                    "ls",
                    "--filter",
                    f"label={BENCH_LABEL}={self.prefix}",
                    "--format",
                    "{{.Name}}",
                ],
                capture_output=True,
                text=True,
                check=False,
            ).stdout
            volumes += [v.strip() for v in out.splitlines() if v.strip()]
            self.remove_volumes(sorted(set(volumes)))
        return names

    # ------------------------------------------------------------ nodes
    def exec_argv(self, node: str, argv: Sequence[str], *, stdin: bool = False) -> list[str]:
        flags = ["--privileged", "-i"] if stdin else ["--privileged"]
        return [self.cli, "exec", *flags, node, *argv]

    def snapshotter(self, node: str) -> str:
        """The CRI snapshotter of the node's containerd (upstream asks the node the same)."""
        out = check_output(self.exec_argv(node, ["containerd", "config", "dump"]))
        match = re.search(r'^\s*snapshotter\s*=\s*"([^"]+)"', out, re.MULTILINE)
        return match.group(1) if match else "overlayfs"

    def node_image_refs(self, node: str, needle: str) -> list[str]:
        """Names in the node's containerd containing ``needle``, plus every other name of
        the same images (``ctr images import --digests`` adds ``import-...@sha256:...``)."""
        out = check_output(self.exec_argv(node, ["ctr", "--namespace=k8s.io", "images", "ls"]))
        rows = [line.split() for line in out.splitlines()[1:] if line.strip()]
        targets = {r[2] for r in rows if len(r) > 2 and needle in r[0]}
        return [r[0] for r in rows if len(r) > 2 and (needle in r[0] or r[2] in targets)]

    def remove_node_images(self, node: str, needle: str) -> None:
        """Remove the images matching ``needle`` from the node's containerd with all their
        names, synchronously (content and snapshots garbage-collected), so the next import
        really writes every layer."""
        refs = self.node_image_refs(node, needle)
        if refs:
            rm = ["ctr", "--namespace=k8s.io", "images", "rm", "--sync", *refs]
            check_output(self.exec_argv(node, rm))
        left = check_output(
            self.exec_argv(node, ["ctr", "--namespace=k8s.io", "content", "ls", "-q"])
        )
        if refs and left.strip():
            # content still referenced by something else (another image): not ours to remove
            self.leftover_content = True


def engine_versions(engines: Sequence[Engine]) -> dict[str, str]:
    found = {}
    for engine in engines:
        try:
            found[engine.name] = engine.version()
        except BenchError as exc:
            found[engine.name] = f"unknown ({exc})"
    return found


def wait_until(predicate: Any, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, default=str)
