"""The podman node provider for pykind."""
