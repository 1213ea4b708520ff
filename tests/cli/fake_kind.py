"""Runs the real ``kind`` entry point with the fake library, for subprocess tests.

Environment: FAKE_CLUSTERS=a,b (docker clusters that exist); FAKE_BLOCK_CREATE=1 makes
``create cluster`` block inside its "Preparing nodes" step until interrupted, then run
the library's cleanup (it reports ``cleanup ran``).
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from pykind.cli import main
from pykind.cli import state as state_module
from pykind.plugin.manager import create_plugin_manager
from pykind.status import step
from tests.cli.fakes import FakeManager, FakeProvidersPlugin, World

the_world = World()
for cluster in filter(None, os.environ.get("FAKE_CLUSTERS", "").split(",")):
    the_world.add_cluster(cluster)


class Manager(FakeManager):
    world = the_world

    def create(self, name: str | None = None, **kwargs: Any) -> Any:
        if not os.environ.get("FAKE_BLOCK_CREATE"):
            return super().create(name, **kwargs)
        try:
            with step(self.status, "Preparing nodes 📦"):
                self.status.info("blocking")  # the test signals once it reads this
                time.sleep(60)
        finally:
            self.status.info("cleanup ran")
        raise AssertionError("not interrupted")


state_module.load_manager_class = lambda: Manager  # type: ignore[assignment,return-value]
state_module.load_plugin_manager = lambda blocked: create_plugin_manager(  # type: ignore[assignment]
    autoload=False, blocked=blocked, extra=[FakeProvidersPlugin()]
)

if __name__ == "__main__":
    main()
