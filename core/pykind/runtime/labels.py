"""Upstream kind's container labels: clusters made by either tool see each other."""

CLUSTER_LABEL = "io.x-k8s.kind.cluster"
ROLE_LABEL = "io.x-k8s.kind.role"
