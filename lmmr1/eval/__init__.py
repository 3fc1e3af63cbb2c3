"""Evaluation on LMM-R1's benchmarks (``lmmr1 eval``): registry, loaders, protocols, generation, scoring.

Benchmarks are found through the entry-point group ``lmmr1.benchmarks`` (built-ins are declared there
too, in lmmr1's own metadata), so a plug-in distribution adds one without touching lmmr1. An entry point
names a :class:`lmmr1.eval.core.Benchmark` subclass.
"""

from __future__ import annotations

from lmmr1.registry import Registry

BENCHMARKS: Registry = Registry("benchmark", "lmmr1.benchmarks")

__all__ = ["BENCHMARKS"]
