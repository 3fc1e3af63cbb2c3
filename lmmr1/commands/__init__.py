"""Sub-commands of the `lmmr1` CLI, one module each (see lmmr1/cli.py)."""
