"""lmmr1's data layer: turn the datasets LMM-R1 users have into exactly what verl's trainer reads.

* :func:`lmmr1.data.prepare.prepare` - ``lmmr1-message`` / ``hf`` / ``sokoban`` sources to verl's parquet
  layout (see :mod:`lmmr1.data.schema`), refusing bad rows with ``FILE:LINE`` and a reason;
* :mod:`lmmr1.data.mix` - weighted mixtures, deterministic train/val splits, deduplication;
* :mod:`lmmr1.data.inspect` - row/source/image statistics and prompt token lengths with a model's
  processor (the over-long prompts behind "image features and image tokens do not match");
* :mod:`lmmr1.verl.data_compat` - what verl's RLHFDataset needs on a machine without torchvision, and a
  dataset class (:mod:`lmmr1.verl.dataset`) that fails loudly when verl drops rows.

Importing this package is cheap (no torch, verl or transformers); the heavy parts import lazily.
"""
