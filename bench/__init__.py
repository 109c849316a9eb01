"""Benchmarks and the large-data generator (see docs/performance.md)."""
