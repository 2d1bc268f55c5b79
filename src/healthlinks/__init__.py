"""Healthlinks: registry, monitoring and evaluation of international health partnerships."""

__version__ = "0.1.0"
