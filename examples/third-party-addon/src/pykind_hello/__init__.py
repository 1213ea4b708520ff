"""pykind-hello: an example third-party pykind plugin."""

__version__ = "0.1.0"
