"""The kubeadm ``admin.conf`` the kubeconfig tests build kind's entries from."""

from __future__ import annotations

#: admin.conf as kubeadm writes it in node ``{name}-control-plane`` (``str.format`` template).
ADMIN_CONF_TEMPLATE = """\
apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: Q0EK
    server: https://{name}-control-plane:6443
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: kubernetes-admin
  name: kubernetes-admin@kubernetes
current-context: kubernetes-admin@kubernetes
kind: Config
preferences: {{}}
users:
- name: kubernetes-admin
  user:
    client-certificate-data: Q0VSVAo=
    client-key-data: S0VZCg==
"""


def admin_conf(name: str) -> str:
    """admin.conf of cluster ``name``."""
    return ADMIN_CONF_TEMPLATE.format(name=name)


#: admin.conf of cluster ``dev``.
ADMIN_CONF = admin_conf("dev")
