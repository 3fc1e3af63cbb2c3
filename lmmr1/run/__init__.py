"""The driver: what runs on the machine that launches a run, before and around verl's trainer.

Composes nothing (that is :mod:`lmmr1.config`) and trains nothing itself (that is verl, reached through
:mod:`lmmr1.verl`): it checks the settings with their owners (:mod:`lmmr1.run.settings`), builds the
inputs, joins or starts Ray, chains the stages and keeps the run directory (:mod:`lmmr1.run.layout`).
Importing this package imports nothing.
"""
