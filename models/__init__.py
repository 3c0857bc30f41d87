"""Model adapters, one file per family; each exports ModelSpecs for the registry."""
