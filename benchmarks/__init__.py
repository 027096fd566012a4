"""Performance benchmarks for trainer at scale (not part of the test suite).

Run with ``python -m benchmarks``; see benchmarks/README.md.
"""
