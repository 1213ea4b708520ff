"""The node runtime: the provider protocol and what providers return."""
