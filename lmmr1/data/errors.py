"""Errors of the data layer: every message says where (``FILE:LINE``, 1-based) and what to do."""

from __future__ import annotations

from lmmr1.errors import UserError


class DataError(UserError):
    """A data problem the user must fix (bad arguments, unreadable input, failed validation)."""


class BadRow(DataError):
    """One source row that cannot become a training row.

    ``where`` is ``FILE:LINE`` with a 1-based line (for JSONL the physical line, for parquet/arrow the
    row number + 1) so that ``sed -n LINEp FILE`` or an editor jump shows the culprit.
    """

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason

    def to_dict(self) -> dict[str, str]:
        return {"where": self.where, "reason": self.reason}


class RowCountMismatch(DataError):
    """Rows were lost between two steps (written vs read back, parquet vs verl's dataset)."""
