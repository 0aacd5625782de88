"""Served policies: Ray Serve applications ``policy-<model_id>``, their samples and the collectors."""
