"""Pipelines: composition of registry models into one result (no model code here)."""
