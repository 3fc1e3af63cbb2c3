"""lmmr1: the LMM-R1 two-stage rule-based RL method as a reproducible verl + Ray library.

Importing ``lmmr1`` is cheap on purpose (no torch, Ray or verl): the command-line tools for scoring,
listing and data work without them, and Ray workers import only the leaf they need.
"""

__version__ = "0.1.0"
