"""Benchmarks (``make bench``): scripts that build data at scale and measure; see docs/benchmarks.md."""
