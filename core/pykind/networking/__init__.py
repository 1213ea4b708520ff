"""Networking: the default CNI (kindnet) and helpers for the cluster network."""
