"""Benchmarks with recorded results (see README.md here)."""
