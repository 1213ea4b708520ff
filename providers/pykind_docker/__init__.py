"""The docker node provider for pykind."""
