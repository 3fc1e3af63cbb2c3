"""Importing this module applies :func:`lmmr1.verl.data_compat.apply` (for ``VERL_USE_EXTERNAL_MODULES``)."""

from lmmr1.verl.data_compat import apply

apply()
