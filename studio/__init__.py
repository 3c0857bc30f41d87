"""Media Studio core: media I/O, the model registry, pipelines and result types.

Imports no UI framework and no concrete model; adapters plug in through the
``media_studio.models`` entry-point group.
"""
