"""Benchmarks: `./dev bench` (or `python -m bench`) prints the figures quoted in README."""
