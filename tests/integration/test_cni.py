"""Real pod networking with kindnet's CNI config, on two nodes of the TEST node image.

No kubelet runs here (the image has stand-ins): the test plays the runtime's part. In each node
it creates a network namespace standing for a pod, writes the CNI config kindnetd would write
for that node's pod CIDR (``pykind.networking.kindnet.cni_conflist``), runs the real CNI plugins
from ``/opt/cni/bin`` (ptp + host-local IPAM + portmap), adds kindnetd's routes between the
nodes' pod CIDRs, and pings one pod from the other across the nodes.
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any

import pytest

from pykind.cluster.nodes import write_file
from pykind.networking import kindnet
from pykind.networking.cni import add_network_list, del_network_list
from pykind.runtime.engine import EngineProvider
from pykind.runtime.protocols import CommandResult, Node
from tests.integration.helpers import ClusterTracker, cluster_config

pytestmark = [pytest.mark.integration, pytest.mark.slow]

POD_SUBNET = "10.244.0.0/16,fd00:10:244::/56"
NETNS = "pod"
NETNS_PATH = f"/var/run/netns/{NETNS}"

# An ICMP echo client (there is no ping binary in the node image): three echo requests to
# argv[1] (IPv4 or IPv6) from a raw socket; prints each reply with the TTL / hop limit it
# arrived with; exit status 0 when one came back.
PING = r"""
import os, socket, struct, sys, time

def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF

dst = sys.argv[1]
six = ":" in dst
ident = os.getpid() & 0xFFFF
if six:
    sock = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
    request, reply = 128, 129
else:
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    request, reply = 8, 0
sock.settimeout(2)
replies = 0
for seq in (1, 2, 3):
    payload = b"pykind-cni-test"
    header = struct.pack("!BBHHH", request, 0, 0, ident, seq)
    # the kernel fills in the ICMPv6 checksum
    check = 0 if six else checksum(header + payload)
    sock.sendto(struct.pack("!BBHHH", request, 0, check, ident, seq) + payload, (dst, 0))
    deadline = time.time() + 2
    while time.time() < deadline:
        try:
            data, ancillary, _, addr = sock.recvmsg(2048, socket.CMSG_SPACE(4))
        except socket.timeout:
            break
        if six:
            ttl = next(
                (struct.unpack("i", d[:4])[0] for lvl, typ, d in ancillary
                 if lvl == socket.IPPROTO_IPV6 and typ == socket.IPV6_HOPLIMIT),
                -1,
            )
            icmp = data
        else:
            ttl = data[8]
            icmp = data[(data[0] & 0x0F) * 4 :]
        kind, _, _, rid, rseq = struct.unpack("!BBHHH", icmp[:8])
        if kind == reply and rid == ident and rseq == seq and addr[0] == dst:
            replies += 1
            print("reply from %s seq=%d ttl=%d" % (addr[0], seq, ttl))
            break
print("%d/3 replies" % replies)
sys.exit(0 if replies else 1)
"""


def setup_pod(node: Node, index: int) -> dict[str, Any]:
    """Give ``node`` the dual-stack pod CIDRs #index, kindnet's CNI config and one pod; the
    CNI result (plus the node's ``podCIDRs``)."""
    pod_cidrs = kindnet.node_pod_cidrs(POD_SUBNET, index)
    write_file(node, kindnet.CNI_CONFIG_PATH, kindnet.cni_conflist(pod_cidrs))
    node.run(["sysctl", "-w", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"])
    node.run(["ip", "netns", "add", NETNS])
    result = add_network_list(
        node,
        json.loads(node.run(["cat", kindnet.CNI_CONFIG_PATH]).text),
        container_id=f"pykind-cni-test-{index}",
        netns=NETNS_PATH,
        runtime_config={"portMappings": []},
    )
    result["podCIDRs"] = pod_cidrs
    return result


def pod_ips(result: dict[str, Any]) -> tuple[str, str]:
    """The pod's (IPv4, IPv6) addresses from a CNI result."""
    found = [ipaddress.ip_interface(i["address"]).ip for i in result["ips"]]
    (v4,) = [str(ip) for ip in found if ip.version == 4]
    (v6,) = [str(ip) for ip in found if ip.version == 6]
    return v4, v6


def ping(node: Node, dst: str) -> CommandResult:
    return node.run(["ip", "netns", "exec", NETNS, "python3", "-c", PING, dst], check=False)


def assert_replies(node: Node, dst: str, hops: int) -> None:
    found = ping(node, dst)
    assert found.returncode == 0, f"no reply from {dst}: {found.stdout!r} {found.stderr!r}"
    # each routed hop between the pods (the two nodes) takes one off the initial 64
    assert f"ttl={64 - hops}" in found.text, found.text


def test_pods_on_two_nodes_reach_each_other_through_kindnet_routes(
    engine: EngineProvider, node_image: str, cluster_name: str, tracker: ClusterTracker
) -> None:
    config = cluster_config(
        cluster_name,
        node_image,
        {
            "networking": {"ipFamily": "dual"},
            "nodes": [{"role": "control-plane"}, {"role": "worker"}],
        },
    )
    assert config.networking.pod_subnet == POD_SUBNET  # upstream's dual-stack default
    nodes = tracker.provision(engine, config)
    a, b = sorted(nodes, key=lambda n: n.name)
    results = [setup_pod(a, 0), setup_pod(b, 1)]
    (a4, a6), (b4, b6) = (pod_ips(r) for r in results)

    for node, result in zip((a, b), results, strict=True):
        v4, v6 = pod_ips(result)
        # host-local handed out one address per family from this node's pod CIDRs
        cidr4, cidr6 = (ipaddress.ip_network(c) for c in result["podCIDRs"])
        assert ipaddress.ip_address(v4) in cidr4
        assert ipaddress.ip_address(v6) in cidr6
        # ptp: a /32 host route to the pod over its veth, in the node (and a /128 for IPv6)
        route = node.run(["ip", "-4", "route", "show", v4]).text.strip()
        assert re.fullmatch(rf"{re.escape(v4)} dev veth\S+ scope host", route), route
        veth = route.split()[2]
        assert veth in [i["name"] for i in result["interfaces"]]
        route6 = node.run(["ip", "-6", "route", "show", v6]).text
        assert f"{v6} dev {veth}" in route6, route6
        # inside the pod: eth0 with both addresses, default routes via the node
        inside = node.run(["ip", "netns", "exec", NETNS, "ip", "-o", "addr", "show", "eth0"])
        assert f"inet {v4}/" in inside.text and f"inet6 {v6}/" in inside.text
        for family in ("-4", "-6"):
            default = node.run(["ip", "netns", "exec", NETNS, "ip", family, "route", "show"])
            assert "default via " in default.text
        # the node reaches its own pod (one hop: the pod answers directly)
        assert node.run(["python3", "-c", PING, v4], check=False).returncode == 0

    # before kindnetd's routes the other node's pods are unreachable
    assert ping(a, b4).returncode != 0
    assert ping(a, b6).returncode != 0

    # kindnetd's routes: each node's pod CIDRs via that node's address of the same family
    for here, there, result in ((a, b, results[1]), (b, a, results[0])):
        v4_node, v6_node = there.ip()
        cidr4, cidr6 = result["podCIDRs"]
        here.run(kindnet.route_argv(cidr4, v4_node))
        here.run(kindnet.route_argv(cidr6, v6_node))

    # pod to pod across the nodes, both ways: pod -> node a -> node b -> pod
    assert_replies(a, b6, hops=2)
    assert_replies(b, a6, hops=2)
    if engine.name == "podman" and ping(a, b4).returncode != 0:
        # IPv6 crossed the same bridge above, with the same routes and plugins: an IPv4 loss
        # here happens outside the nodes, on the host's bridge firewall
        pytest.xfail(
            "the host drops bridged IPv4 with pod source addresses on podman's network "
            "(docker's FORWARD DROP policy with br_netfilter; netavark accepts only the "
            "network's own subnet)"
        )
    assert_replies(a, b4, hops=2)
    assert_replies(b, a4, hops=2)

    # DEL releases the addresses (host-local state) and removes the host route
    del_network_list(
        a,
        kindnet.cni_config(results[0]["podCIDRs"]),
        container_id="pykind-cni-test-0",
        netns=NETNS_PATH,
        prev_result=results[0],
    )
    assert a.run(["ip", "-4", "route", "show", a4]).text.strip() == ""
    leases = a.run(["ls", "/run/cni-ipam-state/kindnet"]).text.split()
    assert a4 not in leases and a6 not in leases
