"""Everything that imports verl or runs inside verl's processes (its trainer, its Ray workers).

The bridge from lmmr1's settings to verl's config, the reward manager and agent loops verl calls, the CPU
platform and HF rollout, and the version-checked fixes to verl and its libraries. Importing this package
itself imports nothing: :mod:`lmmr1.verl.agent_settings` and :mod:`lmmr1.verl.determinism` are verl-free
and the driver reads them before Ray starts.
"""
