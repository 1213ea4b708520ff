"""The ``registry`` add-on: a local image registry container next to the cluster, as in kind's
local-registry guide (``kind-registry`` on host port 5001, containerd ``certs.d`` aliases,
the KEP-1755 ``local-registry-hosting`` ConfigMap)."""
