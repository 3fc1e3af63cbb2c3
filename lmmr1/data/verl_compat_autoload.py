"""Importing this module applies :func:`lmmr1.data.verl_compat.apply` (for ``VERL_USE_EXTERNAL_MODULES``)."""

from lmmr1.data.verl_compat import apply

apply()
