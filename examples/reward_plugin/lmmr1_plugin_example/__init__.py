"""Example lmmr1 reward plug-in (see ``rewards.py``)."""
