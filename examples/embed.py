"""Embed pykind: create a cluster, load an image, read the kubeconfig, delete the cluster.

Run with an image that exists in your engine (offline, the test node image works):

    python examples/embed.py --image pykind-test/node:latest
"""

from __future__ import annotations

import argparse

from pykind import ClusterManager, ConfigError, PykindError
from pykind.config.models import ClusterConfig, Node, NodeRole
from pykind.status import RecordingStatus


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", default="embed-demo")
    parser.add_argument("--image", default=None, help="node image (default: upstream's)")
    parser.add_argument("--provider", default=None, help="docker or podman (default: detect)")
    args = parser.parse_args()

    config = ClusterConfig(
        nodes=[Node(role=NodeRole.CONTROL_PLANE), Node(role=NodeRole.WORKER)],
    )
    status = RecordingStatus()  # or any object with start/end/info
    manager = ClusterManager(provider=args.provider, status=status)
    try:
        result = manager.create(args.name, config=config, image=args.image, wait=30)
        print("kubeconfig:", result.kubeconfig_path, "context:", result.context)
        for node in manager.list_nodes(args.name):
            print(node.name, node.role, node.ip())
        print(manager.kubeconfig(args.name, internal=True)[:200])
    except ConfigError as exc:
        print("bad config:", exc)
        return 1
    except PykindError as exc:
        print("failed:", exc)
        return 1
    finally:
        manager.delete(args.name)
    print("steps:", [message for kind, message in status.events if kind == "start"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
