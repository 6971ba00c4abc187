"""Benchmarks of journeylib (``make bench``): run from the repository root."""
