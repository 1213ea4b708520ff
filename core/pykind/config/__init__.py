"""Cluster configuration: upstream's v1alpha4 models and loading."""
