"""Careers and retention: what became of trained health workers and returning volunteers (docs/careers.md)."""
