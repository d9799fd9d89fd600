"""Benchmarks for micrograd-core: `python -m benchmarks` (see docs/performance.md)."""
