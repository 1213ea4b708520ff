"""pytest plugin shipped with pykind (entry point ``pytest11``): the ``kind_cluster`` fixture."""
