"""The ``ingress-nginx`` add-on: the NGINX ingress controller, set up the way kind's ingress
guide does (host ports 80/443 on the control plane, ``ingress-ready=true`` label, the
controller's kind provider manifest)."""
