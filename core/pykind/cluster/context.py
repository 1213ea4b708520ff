"""State shared by the create steps of one ``create cluster`` run."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pykind.status import NULL_STATUS, Status

if TYPE_CHECKING:
    from pykind.config.models import ClusterConfig
    from pykind.plugin.manager import PykindPluginManager
    from pykind.runtime.protocols import Node, NodeProvider, ProvisionPlan


@dataclass
class StepContext:
    """Passed to every create step (kind's ``ActionContext``)."""

    config: ClusterConfig
    provider: NodeProvider
    pm: PykindPluginManager
    status: Status = NULL_STATUS
    plan: ProvisionPlan | None = None
    #: Folder of the config file (relative mount paths resolve against it).
    config_dir: Path | None = None
    #: Explicit kubeconfig path (``--kubeconfig``), else the default rules apply.
    kubeconfig: Path | None = None
    #: Seconds to wait for control planes to be Ready (0: do not wait).
    wait: float = 0.0
    strict_patches: bool = False
    #: The CNI to install (a registered ``CNISpec`` name; "none" installs nothing).
    cni: str = "kindnet"
    #: Add-ons chosen for this cluster: name -> validated options model.
    addons: dict[str, Any] = field(default_factory=dict)
    #: Scratch space for steps to hand data on (join token, kubeconfig text, ...).
    data: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    _nodes: list[Node] | None = None

    def nodes(self, *, refresh: bool = False) -> list[Node]:
        """The cluster's nodes, listed once and cached (kind's ``ActionContext.Nodes``)."""
        if self._nodes is None or refresh:
            self._nodes = self.provider.list_nodes(self.config.name)
        return self._nodes

    def warn(self, message: str) -> None:
        """Record a warning and show it under the current status line."""
        self.warnings.append(message)
        self.status.info(f"WARNING: {message}")
