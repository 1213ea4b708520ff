"""The ``contour`` add-on: Contour with Envoy on host ports 80/443, as kind's older ingress
guide set it up (the quickstart manifest plus a kind-specific patch of the envoy DaemonSet)."""
