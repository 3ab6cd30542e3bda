"""Roadmaps and releases (issue 7)."""
