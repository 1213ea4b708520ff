"""The default CNI, kindnet: installed from the node image's ``/kind/manifests/default-cni.yaml``.

Built-in plugin (registered by the plugin manager); the CNI create step uses it unless the
config sets ``networking.disableDefaultCNI``.
"""
