"""Benchmarks: every figure is measured against a reference in the same run."""
