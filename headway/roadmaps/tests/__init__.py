"""Tests for roadmaps and releases (issue 7)."""
