#!/usr/bin/env python3
# STAND-IN: not Kubernetes.
#
# Recording stand-ins for kubeadm, kubelet, kubectl and crictl in the pykind TEST node image.
# They run no Kubernetes at all: each call is appended as one JSON line to
# /kind/stand-in/calls.jsonl and the stand-in does just enough of what a caller of the real tool
# needs (files written, exit codes, output shapes). See /kind/stand-in/README.
from __future__ import annotations

import base64
import datetime
import fcntl
import json
import os
import platform
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import yaml

VERSION = "v1.36.1"
STATE_DIR = "/kind/stand-in"
CALLS = os.path.join(STATE_DIR, "calls.jsonl")
ROLE_FILE = os.path.join(STATE_DIR, "role")
ADMIN_CONF = "/etc/kubernetes/admin.conf"
PKI_DIR = "/etc/kubernetes/pki"
KUBELET_CONFIG = "/var/lib/kubelet/config.yaml"
KUBELET_FLAGS = "/var/lib/kubelet/kubeadm-flags.env"
APISERVER_UNIT = "stand-in-apiserver.service"
APISERVER_PORT = 6443
STDIN_LIMIT = 64 * 1024
BANNER = "STAND-IN: not Kubernetes"


# --------------------------------------------------------------------------- recording


def record(tool: str, argv: list[str], stdin: bytes | None = None) -> None:
    entry: dict[str, Any] = {"tool": tool, "argv": [tool, *argv]}
    if stdin is not None:
        entry["stdin"] = stdin[:STDIN_LIMIT].decode("utf-8", errors="replace")
        if len(stdin) > STDIN_LIMIT:
            entry["stdin_truncated"] = True
    try:
        entry["cwd"] = os.getcwd()
    except OSError:
        entry["cwd"] = None
    entry["time"] = datetime.datetime.now(datetime.timezone.utc).isoformat()
    os.makedirs(STATE_DIR, exist_ok=True)
    line = (json.dumps(entry, sort_keys=True) + "\n").encode()
    fd = os.open(CALLS, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, line)
    finally:
        os.close(fd)


def read_stdin() -> bytes:
    try:
        return sys.stdin.buffer.read()
    except (OSError, ValueError):
        return b""


# --------------------------------------------------------------------------- helpers


def flag(argv: list[str], *names: str) -> str | None:
    """Value of ``--name=value`` / ``--name value`` (or short ``-o value``), last one wins."""
    value: str | None = None
    for i, arg in enumerate(argv):
        for name in names:
            if arg == name and i + 1 < len(argv):
                value = argv[i + 1]
            elif arg.startswith(name + "=") and name.startswith("--"):
                value = arg[len(name) + 1 :]
            elif not name.startswith("--") and arg.startswith(name) and len(arg) > len(name):
                value = arg[len(name) :].lstrip("=")
    return value


def has_flag(argv: list[str], *names: str) -> bool:
    for arg in argv:
        for name in names:
            if arg == name or arg.startswith(name + "="):
                return arg.partition("=")[2].lower() not in ("false", "0")
    return False


# flags that take a separate value, so their value is not a positional argument
_VALUE_FLAGS = """
    --config --kubeconfig -o --output -f --filename -n --namespace -l --selector --context
    --cluster --user --v -v --field-selector --for --timeout --template --server -s --cert-dir
    --node-name --cri-socket --image-repository --kubernetes-version --token
    --discovery-token-ca-cert-hash --certificate-key --control-plane-endpoint --skip-phases
    --ignore-preflight-errors -r --runtime-endpoint
"""
VALUE_FLAGS = set(_VALUE_FLAGS.split())


def positionals(argv: list[str]) -> list[str]:
    out: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg.startswith("-"):
            if "=" not in arg and arg in VALUE_FLAGS:
                skip = True
            continue
        out.append(arg)
    return out


def write_file(path: str, data: str, mode: int = 0o644) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".stand-in.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(data)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def fake_pem(kind: str, what: str) -> str:
    body = base64.b64encode(f"{BANNER}: fake {what}".encode()).decode()
    return f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----\n"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def hostname() -> str:
    return socket.gethostname()


def systemctl(*args: str) -> int:
    try:
        return subprocess.run(
            ["systemctl", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
        ).returncode
    except OSError:
        return 1


def die(message: str, code: int = 1) -> int:
    print(message, file=sys.stderr)
    return code


# --------------------------------------------------------------------------- kubeadm


def load_kubeadm_config(path: str) -> dict[str, dict[str, Any]]:
    """Documents of a kubeadm config by kind (the last document of a kind wins)."""
    with open(path, encoding="utf-8") as fh:
        docs = list(yaml.safe_load_all(fh))
    by_kind: dict[str, dict[str, Any]] = {}
    for doc in docs:
        if isinstance(doc, dict) and isinstance(doc.get("kind"), str):
            by_kind[doc["kind"]] = doc
    return by_kind


def endpoint_url(endpoint: str) -> str:
    endpoint = endpoint.strip()
    if endpoint.startswith("https://"):
        return endpoint
    host, sep, port = endpoint.rpartition(":")
    if not sep or not port.isdigit() or (host.count(":") and not host.startswith("[")):
        # no port (or a bare IPv6 address): kubeadm's default port
        host = endpoint
        port = str(APISERVER_PORT)
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
    return f"https://{host}:{port}"


def split_endpoint(endpoint: str) -> tuple[str, int]:
    url = endpoint_url(endpoint)[len("https://") :]
    host, _, port = url.rpartition(":")
    return host.strip("[]"), int(port)


def kubeconfig(cluster_name: str, server: str) -> str:
    user = "kubernetes-admin"
    context = f"{user}@{cluster_name}"
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": cluster_name,
                "cluster": {
                    "server": server,
                    "certificate-authority-data": b64(fake_pem("CERTIFICATE", "cluster CA")),
                },
            }
        ],
        "contexts": [{"name": context, "context": {"cluster": cluster_name, "user": user}}],
        "current-context": context,
        "preferences": {},
        "users": [
            {
                "name": user,
                "user": {
                    "client-certificate-data": b64(fake_pem("CERTIFICATE", "admin client cert")),
                    "client-key-data": b64(fake_pem("RSA PRIVATE KEY", "admin client key")),
                },
            }
        ],
    }
    return f"# {BANNER}: written by the kubeadm stand-in\n" + yaml.safe_dump(
        doc, default_flow_style=False, sort_keys=False
    )


def write_control_plane_files(cluster_name: str, server: str) -> None:
    write_file(ADMIN_CONF, kubeconfig(cluster_name, server), 0o600)
    write_file("/etc/kubernetes/super-admin.conf", kubeconfig(cluster_name, server), 0o600)
    for name in ("ca", "front-proxy-ca", "etcd/ca"):
        write_file(f"{PKI_DIR}/{name}.crt", fake_pem("CERTIFICATE", name))
        write_file(f"{PKI_DIR}/{name}.key", fake_pem("RSA PRIVATE KEY", name), 0o600)
    write_file(f"{PKI_DIR}/sa.key", fake_pem("RSA PRIVATE KEY", "service account key"), 0o600)
    write_file(f"{PKI_DIR}/sa.pub", fake_pem("PUBLIC KEY", "service account key"))


def write_kubelet_files(docs: dict[str, dict[str, Any]], node_registration: dict[str, Any]) -> None:
    kubelet_cfg = docs.get("KubeletConfiguration") or {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
    }
    write_file(
        KUBELET_CONFIG,
        f"# {BANNER}: written by the kubeadm stand-in\n" + yaml.safe_dump(kubelet_cfg),
    )
    extra = node_registration.get("kubeletExtraArgs") or {}
    if isinstance(extra, list):  # v1beta4: [{name, value}]
        pairs = [(str(a.get("name")), str(a.get("value"))) for a in extra if isinstance(a, dict)]
    else:
        pairs = [(str(k), str(v)) for k, v in dict(extra).items()]
    args = " ".join(f"--{k}={v}" for k, v in pairs)
    write_file(KUBELET_FLAGS, f'KUBELET_KUBEADM_ARGS="{args}"\n')
    write_file(
        "/etc/kubernetes/kubelet.conf", kubeconfig("kubernetes", "https://stand-in:6443"), 0o600
    )


def start_apiserver(wait_s: float = 20.0) -> bool:
    systemctl("start", APISERVER_UNIT)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", APISERVER_PORT), timeout=1):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def wait_reachable(endpoint: str, wait_s: float) -> bool:
    host, port = split_endpoint(endpoint)
    deadline = time.monotonic() + wait_s
    while True:
        try:
            with socket.create_connection((host, port), timeout=2):
                return True
        except OSError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.5)


def kubeadm_config(argv: list[str]) -> tuple[dict[str, dict[str, Any]] | None, int]:
    path = flag(argv, "--config")
    if path is None:
        return {}, 0
    try:
        return load_kubeadm_config(path), 0
    except FileNotFoundError:
        return None, die(f"open {path}: no such file or directory")
    except yaml.YAMLError as exc:
        return None, die(f"error unmarshaling {path}: {exc}")


def kubeadm_init(argv: list[str]) -> int:
    docs, code = kubeadm_config(argv)
    if docs is None:
        return code
    cluster = docs.get("ClusterConfiguration", {})
    init = docs.get("InitConfiguration", {})
    cluster_name = str(cluster.get("clusterName") or "kubernetes")
    endpoint = cluster.get("controlPlaneEndpoint") or flag(argv, "--control-plane-endpoint")
    if not endpoint:
        local = init.get("localAPIEndpoint") or {}
        address = local.get("advertiseAddress") or "127.0.0.1"
        endpoint = f"{address}:{local.get('bindPort') or APISERVER_PORT}"
    server = endpoint_url(str(endpoint))
    print(f"[stand-in] kubeadm {BANNER}")
    print(f"[init] Using Kubernetes version: {VERSION}")
    write_control_plane_files(cluster_name, server)
    print('[kubeconfig] Writing "admin.conf" kubeconfig file')
    write_kubelet_files(docs, init.get("nodeRegistration") or {})
    print('[kubelet-start] Writing kubelet configuration to file "/var/lib/kubelet/config.yaml"')
    write_file(ROLE_FILE, "control-plane\n")
    systemctl("restart", "kubelet.service")
    print("[kubelet-start] Starting the kubelet")
    if not start_apiserver():
        return die("[stand-in] the API server stand-in did not start listening on :6443")
    print("[api-check] The API server is healthy")
    print("\nYour Kubernetes control-plane has initialized successfully!")
    print(f"\n({BANNER}: nothing but the stand-in API server on :6443 is running.)")
    return 0


def kubeadm_join(argv: list[str]) -> int:
    docs, code = kubeadm_config(argv)
    if docs is None:
        return code
    join = docs.get("JoinConfiguration", {})
    cluster = docs.get("ClusterConfiguration", {})
    token = (join.get("discovery") or {}).get("bootstrapToken") or {}
    pos = positionals(argv)
    endpoint = token.get("apiServerEndpoint") or (pos[1] if len(pos) > 1 else None)
    control_plane = "controlPlane" in join or has_flag(argv, "--control-plane")
    print(f"[stand-in] kubeadm {BANNER}")
    print("[preflight] Running pre-flight checks")
    # like kubeadm's discovery: the control-plane endpoint must answer on TCP
    if endpoint and not wait_reachable(str(endpoint), 60.0):
        return die(
            f"[stand-in] couldn't reach the API server at {endpoint}: "
            "failed to request the cluster-info ConfigMap"
        )
    if control_plane:
        cluster_name = str(cluster.get("clusterName") or "kubernetes")
        cp_endpoint = cluster.get("controlPlaneEndpoint") or endpoint or "127.0.0.1:6443"
        write_control_plane_files(cluster_name, endpoint_url(str(cp_endpoint)))
        print('[kubeconfig] Writing "admin.conf" kubeconfig file')
    write_kubelet_files(docs, join.get("nodeRegistration") or {})
    write_file(ROLE_FILE, "control-plane\n" if control_plane else "worker\n")
    systemctl("restart", "kubelet.service")
    print("[kubelet-start] Starting the kubelet")
    if control_plane and not start_apiserver():
        return die("[stand-in] the API server stand-in did not start listening on :6443")
    print("\nThis node has joined the cluster.")
    return 0


def kubeadm_version(argv: list[str]) -> int:
    output = flag(argv, "-o", "--output")
    if output == "short":
        print(VERSION)
    elif output == "json":
        print(json.dumps({"clientVersion": version_info()}, indent=2))
    elif output == "yaml":
        print(yaml.safe_dump({"clientVersion": version_info()}), end="")
    else:
        info = version_info()
        print(
            f'kubeadm version: &version.Info{{Major:"{info["major"]}", Minor:"{info["minor"]}", '
            f'GitVersion:"{VERSION}", GitCommit:"{info["gitCommit"]}", '
            f'GitTreeState:"clean", Platform:"{info["platform"]}"}} ({BANNER})'
        )
    return 0


def version_info() -> dict[str, str]:
    major, minor = VERSION.lstrip("v").split(".")[:2]
    return {
        "major": major,
        "minor": minor,
        "gitVersion": VERSION,
        "gitCommit": "stand-in",
        "gitTreeState": "clean",
        "goVersion": "stand-in",
        "compiler": "stand-in",
        "platform": f"linux/{arch()}",
    }


def arch() -> str:
    machine = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


def kubeadm(argv: list[str]) -> int:
    record("kubeadm", argv)
    pos = positionals(argv)
    sub = pos[0] if pos else ""
    if sub == "version":
        return kubeadm_version(argv)
    if sub == "init" and len(pos) == 1:
        return kubeadm_init(argv)
    if sub == "join":
        return kubeadm_join(argv)
    if sub == "reset":
        for path in (ADMIN_CONF, KUBELET_CONFIG, ROLE_FILE):
            if os.path.exists(path):
                os.remove(path)
        systemctl("stop", APISERVER_UNIT)
        systemctl("stop", "kubelet.service")
    return 0


# --------------------------------------------------------------------------- kubectl


def kubectl_kubeconfig(argv: list[str]) -> tuple[str | None, int]:
    """The kubeconfig kubectl would use, or an error exit code when it is missing."""
    path = flag(argv, "--kubeconfig")
    if path is not None:
        if not os.path.exists(path):
            return None, die(f"error: stat {path}: no such file or directory")
        return path, 0
    env = os.environ.get("KUBECONFIG")
    candidates = env.split(":") if env else [os.path.expanduser("~/.kube/config")]
    for candidate in candidates:
        if candidate and os.path.exists(candidate):
            return candidate, 0
    return None, 0


def no_server() -> int:
    return die(
        "The connection to the server localhost:8080 was refused - "
        "did you specify the right host or port?"
    )


def load_kubeconfig(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    return data if isinstance(data, dict) else {}


def kubectl_config(argv: list[str], path: str | None) -> int:
    pos = positionals(argv)
    sub = pos[1] if len(pos) > 1 else ""
    cfg = load_kubeconfig(path) if path else {"apiVersion": "v1", "kind": "Config"}
    if sub == "current-context":
        current = cfg.get("current-context")
        if not current:
            return die("error: current-context is not set")
        print(current)
        return 0
    if sub == "get-contexts":
        print("CURRENT   NAME   CLUSTER   AUTHINFO   NAMESPACE")
        for ctx in cfg.get("contexts") or []:
            mark = "*" if ctx.get("name") == cfg.get("current-context") else ""
            c = ctx.get("context") or {}
            print(f"{mark}   {ctx.get('name')}   {c.get('cluster')}   {c.get('user')}")
        return 0
    if sub != "view":
        return 0
    view = dict(cfg)
    view.setdefault("clusters", None)
    view.setdefault("contexts", None)
    view.setdefault("current-context", "")
    view.setdefault("preferences", {})
    view.setdefault("users", None)
    if has_flag(argv, "--minify"):
        current = view.get("current-context")
        ctxs = [c for c in view.get("contexts") or [] if c.get("name") == current]
        if not ctxs:
            return die("error: current-context must exist in order to minify")
        ctx = ctxs[0].get("context") or {}
        view["contexts"] = ctxs
        view["clusters"] = [
            c for c in view.get("clusters") or [] if c.get("name") == ctx.get("cluster")
        ]
        view["users"] = [u for u in view.get("users") or [] if u.get("name") == ctx.get("user")]
    if not has_flag(argv, "--raw"):
        for cluster in view.get("clusters") or []:
            body = cluster.get("cluster") or {}
            if "certificate-authority-data" in body:
                body["certificate-authority-data"] = "DATA+OMITTED"
        for user in view.get("users") or []:
            body = user.get("user") or {}
            for key in ("client-certificate-data", "client-key-data", "token"):
                if key in body:
                    body[key] = "REDACTED"
    output = flag(argv, "-o", "--output") or "yaml"
    if output == "json":
        print(json.dumps(view, indent=4))
    else:
        print(yaml.safe_dump(view, default_flow_style=False, sort_keys=False), end="")
    return 0


def kubectl_version(argv: list[str], path: str | None) -> int:
    client_only = has_flag(argv, "--client")
    output = flag(argv, "-o", "--output")
    data: dict[str, Any] = {"clientVersion": version_info(), "kustomizeVersion": "v5.7.1"}
    if not client_only:
        if path is None:
            if output is None:
                print(f"Client Version: {VERSION}\nKustomize Version: v5.7.1")
            return no_server()
        data["serverVersion"] = version_info()
    if output == "json":
        print(json.dumps(data, indent=2))
    elif output == "yaml":
        print(yaml.safe_dump(data), end="")
    else:
        print(f"Client Version: {VERSION}\nKustomize Version: v5.7.1")
        if not client_only:
            print(f"Server Version: {VERSION}")
    return 0


def node_role() -> str:
    try:
        with open(ROLE_FILE, encoding="utf-8") as fh:
            return fh.read().strip() or "control-plane"
    except OSError:
        return "control-plane"


def kubectl_get(argv: list[str]) -> int:
    pos = positionals(argv)
    resource = pos[1] if len(pos) > 1 else ""
    output = flag(argv, "-o", "--output") or ""
    if resource.split(".")[0] not in ("node", "nodes", "no"):
        if not output:
            namespace = flag(argv, "-n", "--namespace") or "default"
            print(f"No resources found in {namespace} namespace.", file=sys.stderr)
        return 0
    name = hostname()
    role = node_role()
    roles = "control-plane" if role == "control-plane" else "<none>"
    if output.startswith("jsonpath"):
        print(jsonpath(output.partition("=")[2], name), end="")
        return 0
    if output == "name":
        print(f"node/{name}")
        return 0
    if output in ("json", "yaml"):
        node = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
            "status": {
                "conditions": [{"type": "Ready", "status": "True"}],
                "nodeInfo": {"kubeletVersion": VERSION},
            },
        }
        doc = {"apiVersion": "v1", "kind": "List", "items": [node]}
        print(json.dumps(doc, indent=4) if output == "json" else yaml.safe_dump(doc), end="\n")
        return 0
    print(f"{'NAME':<24} {'STATUS':<8} {'ROLES':<14} {'AGE':<5} VERSION")
    print(f"{name:<24} {'Ready':<8} {roles:<14} {'1m':<5} {VERSION}")
    return 0


def jsonpath(template: str, name: str) -> str:
    """Render a node-list jsonpath template for this one node: text outside ``{}`` is kept
    (kubectl prints ``'True'`` for ``'{...status}'``); conditions are ``True``, names the
    hostname, versions v1.36.1, anything else empty."""

    def value(match: re.Match[str]) -> str:
        expr = match.group(1)
        if "conditions" in expr:
            return "True"
        if "version" in expr.lower():
            return VERSION
        if "name" in expr:
            return name
        return ""

    return re.sub(r"\{([^{}]*)\}", value, template)


def manifest_objects(data: bytes) -> Iterator[tuple[str, str]]:
    try:
        docs = list(yaml.safe_load_all(data.decode("utf-8", errors="replace")))
    except yaml.YAMLError:
        return
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        items = doc.get("items") if doc.get("kind") == "List" else [doc]
        for item in items or []:
            if isinstance(item, dict) and item.get("kind"):
                name = str((item.get("metadata") or {}).get("name", ""))
                group = str(item.get("apiVersion", "")).rpartition("/")[0]
                kind = str(item["kind"]).lower() + (f".{group}" if group else "")
                yield kind, name


def kubectl(argv: list[str]) -> int:
    filename = flag(argv, "-f", "--filename")
    stdin = read_stdin() if filename == "-" else None
    record("kubectl", argv, stdin)
    pos = positionals(argv)
    sub = pos[0] if pos else ""
    path, code = kubectl_kubeconfig(argv)
    if code:
        return code
    if sub == "config":
        return kubectl_config(argv, path)
    if sub == "version":
        return kubectl_version(argv, path)
    if sub in ("", "help", "completion", "plugin", "options", "api-resources"):
        return 0
    if path is None:
        return no_server()
    if sub == "get":
        return kubectl_get(argv)
    if sub in ("apply", "create", "replace"):
        data = stdin
        if data is None and filename:
            try:
                with open(filename, "rb") as fh:
                    data = fh.read()
            except OSError:
                return die(f'error: the path "{filename}" does not exist')
        verb = {"apply": "created", "create": "created", "replace": "replaced"}[sub]
        for kind, name in manifest_objects(data or b""):
            print(f"{kind}/{name} {verb}")
        return 0
    done = {"taint": "untainted", "label": "labeled", "annotate": "annotated"}.get(sub)
    if done and len(pos) > 1 and pos[1].split(".")[0] in ("node", "nodes", "no"):
        removing = any(p.endswith("-") for p in pos[2:])
        if sub == "label" and removing and not any("=" in p for p in pos[2:]):
            done = "unlabeled"
        print(f"node/{hostname()} {done}")
    return 0


# --------------------------------------------------------------------------- kubelet


def kubelet(argv: list[str]) -> int:
    if has_flag(argv, "--version"):
        record("kubelet", argv)
        print(f"Kubernetes {VERSION}")
        return 0
    record("kubelet", argv)
    print(f"kubelet {BANNER}: recorded the arguments, now idling", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0


# --------------------------------------------------------------------------- crictl


def ctr(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["ctr", "--namespace=k8s.io", *args], capture_output=True, check=False)


def ctr_images() -> list[tuple[str, str, str]]:
    """(ref, target digest, size) of each image in containerd's k8s.io namespace."""
    result = ctr("images", "ls")
    if result.returncode != 0:
        return []
    images: list[tuple[str, str, str]] = []
    for line in result.stdout.decode(errors="replace").splitlines()[1:]:
        cols = line.split()
        if len(cols) >= 5:
            images.append((cols[0], cols[2], f"{cols[3]}{cols[4]}".replace("i", "")))
    return images


def config_digest(digest: str) -> str:
    """The image ID (config digest) of a manifest or index digest, best effort."""
    for _ in range(3):
        result = ctr("content", "get", digest)
        if result.returncode != 0:
            return digest
        try:
            doc = json.loads(result.stdout)
        except ValueError:
            return digest
        if "manifests" in doc:
            manifests = doc.get("manifests") or []
            if not manifests:
                return digest
            want = [m for m in manifests if (m.get("platform") or {}).get("architecture") == arch()]
            digest = (want or manifests)[0]["digest"]
            continue
        return str((doc.get("config") or {}).get("digest") or digest)
    return digest


def repo_tags(refs: list[str]) -> list[str]:
    return [r for r in refs if not r.startswith("sha256:") and "@" not in r]


def repo_digests(refs: list[str]) -> list[str]:
    # ``ctr import --digests`` adds "import-<date>@sha256:..." names: not repository digests
    return [r for r in refs if "@" in r and not r.startswith("import-")]


def ref_matches(ref: str, query: str) -> bool:
    hexdigits = set("0123456789abcdef")
    if query.startswith("sha256:") or (len(query) >= 12 and set(query) <= hexdigits):
        return False
    last = query.rsplit("/", 1)[-1]
    if ":" not in last and "@" not in query:
        query += ":latest"
    return ref == query or ref.endswith("/" + query) or ref.endswith("/library/" + query)


def crictl_images(argv: list[str]) -> int:
    rows: dict[str, dict[str, Any]] = {}
    for ref, digest, size in ctr_images():
        image_id = config_digest(digest)
        row = rows.setdefault(image_id, {"refs": [], "size": size})
        row["refs"].append(ref)
    if has_flag(argv, "-q", "--quiet"):
        for image_id in rows:
            print(image_id)
        return 0
    if (flag(argv, "-o", "--output") or "") == "json":
        images = [
            {
                "id": image_id,
                "repoTags": repo_tags(row["refs"]),
                "repoDigests": repo_digests(row["refs"]),
                "size": row["size"],
            }
            for image_id, row in rows.items()
        ]
        print(json.dumps({"images": images}, indent=2))
        return 0
    print(f"{'IMAGE':<60} {'TAG':<24} {'IMAGE ID':<15} SIZE")
    for image_id, row in rows.items():
        short = image_id.removeprefix("sha256:")[:13]
        tagged = repo_tags(row["refs"])
        for ref in tagged or ["<none>:<none>"]:
            repo, _, tag = ref.rpartition(":")
            if "/" in tag or not repo:
                repo, tag = ref, "<none>"
            print(f"{repo:<60} {tag:<24} {short:<15} {row['size']}")
    return 0


def crictl_inspecti(argv: list[str]) -> int:
    pos = positionals(argv)
    if len(pos) < 2:
        return die("image reference is required", 1)
    failed = 0
    for query in pos[1:]:
        found: dict[str, list[str]] = {}
        for ref, digest, _ in ctr_images():
            image_id = config_digest(digest)
            found.setdefault(image_id, []).append(ref)
        match = None
        for image_id, refs in found.items():
            if query in (image_id, image_id.removeprefix("sha256:")) or any(
                ref_matches(r, query) for r in refs
            ):
                match = (image_id, refs)
                break
        if match is None:
            print(f'no such image "{query}" present', file=sys.stderr)
            failed = 1
            continue
        image_id, refs = match
        print(
            json.dumps(
                {
                    "status": {
                        "id": image_id,
                        "repoTags": repo_tags(refs),
                        "repoDigests": repo_digests(refs),
                    },
                    "info": {"standIn": f"crictl {BANNER}"},
                },
                indent=2,
            )
        )
    return failed


def crictl(argv: list[str]) -> int:
    record("crictl", argv)
    pos = positionals(argv)
    sub = pos[0] if pos else ""
    if sub in ("images", "image", "img"):
        return crictl_images(argv)
    if sub == "inspecti":
        return crictl_inspecti(argv)
    if sub == "version":
        print(f"Version:  0.1.0\nRuntimeName:  containerd\nRuntimeApiVersion:  v1\n({BANNER})")
    return 0


# --------------------------------------------------------------------------- entry point

TOOLS: dict[str, Callable[[list[str]], int]] = {
    "kubeadm": kubeadm,
    "kubectl": kubectl,
    "kubelet": kubelet,
    "crictl": crictl,
}


def main(tool: str) -> None:
    sys.exit(TOOLS[tool](sys.argv[1:]))
