"""Cluster lifecycle: the create pipeline, delete, and the embedding API."""
