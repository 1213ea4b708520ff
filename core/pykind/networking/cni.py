"""Run a CNI network config list inside a node, the way a container runtime does (libcni's
``AddNetworkList``/``DelNetworkList``): each plugin binary from ``/opt/cni/bin`` in turn, with
the network config on stdin, the ``CNI_*`` variables in the environment and the previous
plugin's result as ``prevResult``.

Used to exercise a node's CNI plugins without a kubelet (``kind``'s own diagnostics and tests).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pykind.errors import NodeCommandError, PykindError
from pykind.runtime.protocols import Node

CNI_BIN_DIR = "/opt/cni/bin"


class CNIError(PykindError):
    """A CNI plugin failed; the message carries the plugin's error code and text."""


def plugin_config(
    conflist: Mapping[str, Any],
    plugin: Mapping[str, Any],
    *,
    prev_result: Mapping[str, Any] | None = None,
    runtime_config: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The network config one plugin of ``conflist`` receives on stdin."""
    config = dict(plugin)
    config["name"] = conflist["name"]
    config["cniVersion"] = conflist["cniVersion"]
    if prev_result is not None:
        config["prevResult"] = dict(prev_result)
    capabilities = plugin.get("capabilities") or {}
    wanted = {cap: value for cap, value in (runtime_config or {}).items() if capabilities.get(cap)}
    if wanted:
        config["runtimeConfig"] = wanted
    return config


def _invoke(
    node: Node,
    command: str,
    config: Mapping[str, Any],
    *,
    container_id: str,
    netns: str,
    ifname: str,
    bin_dir: str,
) -> dict[str, Any]:
    env = {
        "CNI_COMMAND": command,
        "CNI_CONTAINERID": container_id,
        "CNI_NETNS": netns,
        "CNI_IFNAME": ifname,
        "CNI_PATH": bin_dir,
    }
    argv = [f"{bin_dir}/{config['type']}"]
    try:
        result = node.run(argv, stdin=json.dumps(config).encode(), env=env)
    except NodeCommandError as exc:
        detail = exc.output.strip()
        try:
            error = json.loads(exc.stdout or b"{}")
            detail = f"code {error.get('code')}: {error.get('msg')} {error.get('details', '')}"
        except ValueError:
            pass
        raise CNIError(
            f"CNI plugin {config['type']!r} failed {command} in node {node.name!r}: {detail}"
        ) from exc
    text = result.text.strip()
    return json.loads(text) if text else {}


def add_network_list(
    node: Node,
    conflist: Mapping[str, Any],
    *,
    container_id: str,
    netns: str,
    ifname: str = "eth0",
    runtime_config: Mapping[str, Any] | None = None,
    bin_dir: str = CNI_BIN_DIR,
) -> dict[str, Any]:
    """ADD: run every plugin in order; the last plugin's result (IPs, routes, interfaces)."""
    result: dict[str, Any] | None = None
    for plugin in conflist["plugins"]:
        config = plugin_config(conflist, plugin, prev_result=result, runtime_config=runtime_config)
        result = _invoke(
            node,
            "ADD",
            config,
            container_id=container_id,
            netns=netns,
            ifname=ifname,
            bin_dir=bin_dir,
        )
    return result or {}


def del_network_list(
    node: Node,
    conflist: Mapping[str, Any],
    *,
    container_id: str,
    netns: str,
    ifname: str = "eth0",
    prev_result: Mapping[str, Any] | None = None,
    runtime_config: Mapping[str, Any] | None = None,
    bin_dir: str = CNI_BIN_DIR,
) -> None:
    """DEL: run every plugin in reverse order with the ADD result (as libcni does)."""
    for plugin in reversed(conflist["plugins"]):
        config = plugin_config(
            conflist, plugin, prev_result=prev_result, runtime_config=runtime_config
        )
        _invoke(
            node,
            "DEL",
            config,
            container_id=container_id,
            netns=netns,
            ifname=ifname,
            bin_dir=bin_dir,
        )
