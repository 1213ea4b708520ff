"""The envoy flavour of the external load balancer (upstream kind's default).

As upstream, envoy starts from a bootstrap config that reads its listeners (LDS) and clusters
(CDS) from files (`dynamic configuration from the file system`); the load balancer step writes
those files and envoy reloads them when they are *replaced* (a rename), never edited in place.
The container is started with :func:`container_command`, which writes the bootstrap config and
empty resource files only when they do not exist yet, so a restarted container keeps its
configuration.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

#: Upstream's envoy image for the load balancer.
IMAGE = "envoyproxy/envoy:v1.36.2"
CONFIG_DIR = "/home/envoy"
BOOTSTRAP_PATH = f"{CONFIG_DIR}/envoy.yaml"
CDS_PATH = f"{CONFIG_DIR}/cds.yaml"
LDS_PATH = f"{CONFIG_DIR}/lds.yaml"
#: envoy's admin port inside the container (not published).
ADMIN_PORT = 10000
EMPTY_RESOURCES = "resources: []"


def bootstrap_config(cluster: str, node_id: str) -> str:
    """envoy's bootstrap: node identity, file-based CDS/LDS, admin endpoint."""
    return f"""\
node:
  cluster: {cluster}
  id: {node_id}

dynamic_resources:
  cds_config:
    resource_api_version: V3
    path_config_source:
      path: {CDS_PATH}
  lds_config:
    resource_api_version: V3
    path_config_source:
      path: {LDS_PATH}

admin:
  access_log_path: /dev/stdout
  address:
    socket_address:
      address: 0.0.0.0
      port_value: {ADMIN_PORT}
"""


def container_command(cluster: str, container_name: str) -> list[str]:
    """The load balancer container's command: write the bootstrap (and empty CDS/LDS files
    unless present), then run envoy, retrying while it initialises (as upstream).

    The cluster and container names are kind-validated DNS labels; they are quoted anyway.
    """
    config = bootstrap_config(cluster, container_name).replace("'", "'\\''")
    script = (
        f"mkdir -p {CONFIG_DIR}"
        f" && printf '%s' '{config}' > {BOOTSTRAP_PATH}"
        f" && {{ [ -f {CDS_PATH} ] || printf '%s' '{EMPTY_RESOURCES}' > {CDS_PATH}; }}"
        f" && {{ [ -f {LDS_PATH} ] || printf '%s' '{EMPTY_RESOURCES}' > {LDS_PATH}; }}"
        f" && while true; do envoy -c {BOOTSTRAP_PATH} && break; sleep 1; done"
    )
    return ["bash", "-c", script]


def render_lds(*, port: int = 6443, ipv6: bool = False) -> str:
    """The listener: TCP on ``port`` (all addresses), proxied to the ``kube_apiservers``
    cluster."""
    address = '"::"' if ipv6 else '"0.0.0.0"'
    return f"""\
resources:
- "@type": type.googleapis.com/envoy.config.listener.v3.Listener
  name: listener_apiserver
  address:
    socket_address:
      address: {address}
      port_value: {port}
  filter_chains:
  - filters:
    - name: envoy.filters.network.tcp_proxy
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
        stat_prefix: ingress_tcp
        cluster: kube_apiservers
"""


def _split_host_port(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"backend address {address!r} is not host:port")
    return host.strip("[]"), int(port)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def render_cds(backends: Mapping[str, str], *, ipv6: bool = False) -> str:
    """The ``kube_apiservers`` cluster: round robin over ``backends`` (name -> host:port),
    health-checked with ``GET /healthz`` over TLS without verification (as upstream).

    Literal IP backends make a STATIC cluster; names are resolved by DNS (STRICT_DNS).
    """
    endpoints = [_split_host_port(addr) for _, addr in sorted(backends.items())]
    static = all(_is_ip(host) for host, _ in endpoints)
    kind = "STATIC" if static else "STRICT_DNS"
    lines = [
        "resources:",
        '- "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster',
        "  name: kube_apiservers",
        "  connect_timeout: 0.25s",
        f"  type: {kind}",
        "  lb_policy: ROUND_ROBIN",
    ]
    if not static:
        lines.append(f"  dns_lookup_family: {'AUTO' if ipv6 else 'V4_PREFERRED'}")
    lines += [
        "  health_checks:",
        "  - timeout: 3s",
        "    interval: 2s",
        "    unhealthy_threshold: 2",
        "    healthy_threshold: 1",
        "    initial_jitter: 0s",
        "    no_traffic_interval: 3s",
        "    always_log_health_check_failures: true",
        "    always_log_health_check_success: true",
        "    event_log_path: /dev/stdout",
        "    http_health_check:",
        "      path: /healthz",
        "    transport_socket_match_criteria:",
        '      tls_mode: "true"',
        "  transport_socket_matches:",
        '  - name: "health_check_tls"',
        "    match:",
        '      tls_mode: "true"',
        "    transport_socket:",
        "      name: envoy.transport_sockets.tls",
        "      typed_config:",
        '        "@type": type.googleapis.com/'
        "envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
        "        common_tls_context:",
        "          validation_context:",
        "            trust_chain_verification: ACCEPT_UNTRUSTED",
        "  load_assignment:",
        "    cluster_name: kube_apiservers",
        "    endpoints:",
        "    - lb_endpoints:",
    ]
    for host, port in endpoints:
        lines += [
            "      - endpoint:",
            "          address:",
            "            socket_address:",
            f'              address: "{host}"',
            f"              port_value: {port}",
        ]
    return "\n".join(lines) + "\n"
