"""verl's RLHFDataset that refuses to lose rows silently (imports verl; for the trainer side).

Select it in verl's config with ``data.custom_cls.path=pkg://lmmr1.verl.dataset`` and
``data.custom_cls.name=CheckedRLHFDataset``. Defined at module level so that ``datasets``' worker
processes can pickle it by reference.
"""

from __future__ import annotations

from typing import Any

from verl.utils.dataset.rl_dataset import RLHFDataset

from lmmr1.data.errors import RowCountMismatch
from lmmr1.data.schema import DEFAULT_AGENT, parquet_row_count
from lmmr1.verl import data_compat as verl_compat
from lmmr1.verl import overlong_filter, token_log, turn_credit_hook
from lmmr1.verl.fixes import install_deterministic_batches

# verl's TaskRunner imports this module (data.custom_cls) before its first batch: the moment at which the
# deterministic=true batch order, the turn-level estimators (gigpo, turn_gae) and DAPO's overlong filter can be installed in the
# trainer (no-ops in other runs)
install_deterministic_batches()
turn_credit_hook.install()
overlong_filter.install()  # after the turn-credit hook: it masks what the (wrapped) advantage step wrote
token_log.install()


class CheckedRLHFDataset(RLHFDataset):
    """RLHFDataset + :func:`lmmr1.verl.data_compat.apply` + a row-count check.

    verl drops rows whose prompt is longer than ``max_prompt_length`` *and* rows whose processing raised
    (a missing dependency makes that every image row), printing only ``filter dataset len: N``. Here the
    count after filtering must equal the rows in the files (or ``max_samples``); otherwise
    :class:`RowCountMismatch` says how many were lost and how to find them.

    When several files are listed and only some carry ``agent_name`` (Sokoban next to text), the others
    read as ``None``, which verl's agent loop rejects; those rows get verl's default ``single_turn_agent``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        verl_compat.apply()
        super().__init__(*args, **kwargs)

    def _read_files_and_tokenize(self) -> None:
        super()._read_files_and_tokenize()
        expected = parquet_row_count(self.data_files)
        if self.max_samples and 0 < self.max_samples < expected:
            expected = self.max_samples
        got = len(self.dataframe)
        if expected and got != expected:
            raise RowCountMismatch(
                f"verl's RLHFDataset kept {got} of {expected} rows from {list(self.original_data_files)}: "
                f"{expected - got} were dropped, either longer than data.max_prompt_length="
                f"{self.max_prompt_length} tokens (image tokens included) or failing to process. Run "
                f"`lmmr1 data inspect FILE --model MODEL --max-prompt-length {self.max_prompt_length}` to see "
                "which and why; then raise data.max_prompt_length or lower max_pixels."
            )

    def __getitem__(self, item: int) -> dict:
        row = super().__getitem__(item)
        if "agent_name" in row and row["agent_name"] is None:
            row["agent_name"] = DEFAULT_AGENT
        return row
