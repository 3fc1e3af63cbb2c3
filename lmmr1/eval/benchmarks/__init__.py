"""Built-in benchmarks (declared as entry points in setup.py)."""
