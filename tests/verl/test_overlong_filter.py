"""DAPO's overlong filter (lmmr1.verl.overlong_filter): which rows count as truncated, how they are masked, and
that verl's own loss aggregation then trains on the kept rows only."""

from __future__ import annotations

import pytest
import torch

from lmmr1.verl.overlong_filter import eos_token_ids, filter_metrics, masked, truncated_rows

EOS = 2


@pytest.mark.parametrize(
    ("length", "last", "cut"),
    [
        (3, 7, False),  # stopped early (a shorter response ends where the model stopped)
        (4, EOS, False),  # used the whole budget, but its last token is end-of-sequence: complete
        (4, 7, True),  # used the whole budget and was cut
        (5, 7, True),  # longer than the budget (a multi-turn episode verl cut to the budget)
        (0, -1, False),  # empty response
    ],
)
def test_a_row_is_truncated_when_it_used_the_budget_without_stopping(length, last, cut):
    assert truncated_rows([length], [last], 4, {EOS, 151645}) == [cut]


def test_masking_zeroes_exactly_the_truncated_rows_of_a_jagged_mask():
    mask = torch.nested.as_nested_tensor(
        [torch.tensor([1, 1, 1]), torch.tensor([1, 0, 1, 1]), torch.tensor([1, 1])], layout=torch.jagged
    )
    out = masked(mask, [False, True, False])
    assert [row.tolist() for row in out.unbind()] == [[1, 1, 1], [0, 0, 0, 0], [1, 1]]
    assert out.offsets().diff().tolist() == [3, 4, 2], "row lengths (verl's response lengths) are kept"


def test_metrics_say_how_much_was_cut_and_whether_the_guard_acted():
    assert filter_metrics([True, False, False, False], False) == {
        "overlong_filter/truncated_share": 0.25,
        "overlong_filter/masked_share": 0.25,
        "overlong_filter/all_truncated": 0.0,
    }
    assert filter_metrics([True, True], True)["overlong_filter/masked_share"] == 0.0


def test_verl_token_mean_loss_over_the_masked_batch_equals_the_loss_of_the_kept_rows():
    """What verl's engines do with the two masks lmmr1 writes: the loss mask is response_mask, and token-mean
    divides by the sum of loss_mask (verl/workers/engine/fsdp/transformer_impl.py). The truncated row then adds
    nothing to the loss or the gradient, and its tokens leave the denominator."""
    from verl.trainer.ppo.core_algos import agg_loss

    torch.manual_seed(0)
    loss_mat = torch.randn(3, 5, requires_grad=True)
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 1, 0, 0, 0]], dtype=torch.float32)
    nested = torch.nested.as_nested_tensor([row[row > 0] for row in mask], layout=torch.jagged)
    kept = masked(nested, [False, True, False])
    kept_padded = torch.nested.to_padded_tensor(kept, 0.0)
    kept_padded = torch.nn.functional.pad(kept_padded, (0, 5 - kept_padded.shape[1]))
    loss = agg_loss(loss_mat, kept_padded, "token-mean", batch_num_tokens=kept.values().sum())
    loss.backward()
    expected = (loss_mat.detach()[0, :3].sum() + loss_mat.detach()[2, :2].sum()) / 5
    assert loss.item() == pytest.approx(expected.item())
    assert torch.all(loss_mat.grad[1] == 0), "the truncated row gets no gradient"


def test_end_of_sequence_ids_come_from_the_tokenizer_and_the_generation_config(tmp_path):
    from transformers import GenerationConfig

    GenerationConfig(eos_token_id=[151645, 151643]).save_pretrained(tmp_path)

    class Tokenizer:
        eos_token_id = 151643
        pad_token_id = 151643

    assert eos_token_ids(Tokenizer(), str(tmp_path)) == {151643, 151645}
    assert eos_token_ids(Tokenizer(), str(tmp_path / "no-such-model")) == {151643}


# ------------------------------------------------------------------ the trainer step, on an in-memory queue
class _Queue:
    """The two TransferQueue calls the filter makes, over a dict of jagged fields (as verl 0.9.1 stores them)."""

    def __init__(self, fields: dict):
        self.fields = fields

    def kv_batch_get(self, keys, partition_id, select_fields):
        from tensordict import TensorDict

        return TensorDict({f: self.fields[f] for f in select_fields}, batch_size=len(keys))

    def kv_batch_put(self, keys, partition_id, fields):
        for name in fields.keys():
            self.fields[name] = fields[name]
        return _Batch(keys)


class _Batch:
    def __init__(self, keys):
        self.keys, self.partition_id = list(keys), "train"

    def __len__(self):
        return len(self.keys)


def _jagged(rows):
    return torch.nested.as_nested_tensor([torch.tensor(r) for r in rows], layout=torch.jagged)


def _trainer(max_length: int, enable: bool = True):
    from types import SimpleNamespace

    from omegaconf import OmegaConf

    config = OmegaConf.create(
        {
            "lmmr1": {"overlong_filter": {"enable": enable, "max_length": max_length}},
            "actor_rollout_ref": {"model": {"path": "/no/such/model"}},
        }
    )
    return SimpleNamespace(config=config, tokenizer=SimpleNamespace(eos_token_id=EOS))


@pytest.mark.parametrize(
    ("responses", "expect_mask", "expect_adv", "all_cut"),
    [
        # one row cut (3 tokens, budget 3, no EOS), one complete by EOS at the budget, one short
        ([[5, 6, 7], [5, 6, EOS], [5, EOS]], [[0, 0, 0], [1, 1, 1], [1, 1]], [[1.0] * 3, [1.0] * 3, [1.0] * 2], False),
        # every row cut: masks stay (verl's token-mean would divide by 0), the advantages go to zero
        ([[5, 6, 7], [7, 7, 7]], [[1, 1, 1], [1, 1, 1]], [[0.0] * 3, [0.0] * 3], True),
        # nothing cut: nothing written
        ([[5, EOS], [EOS]], [[1, 1], [1]], [[1.0] * 2, [1.0]], False),
    ],
)
def test_the_trainer_step_masks_cut_rows_then_restores_the_masks(
    monkeypatch, responses, expect_mask, expect_adv, all_cut
):
    import sys

    from lmmr1.verl import overlong_filter

    ones = [[1] * len(r) for r in responses]
    queue = _Queue(
        {
            "responses": _jagged(responses),
            "response_mask": _jagged(ones),
            "loss_mask": _jagged(ones),
            "advantages": _jagged([[1.0] * len(r) for r in responses]),
        }
    )
    monkeypatch.setitem(sys.modules, "transfer_queue", queue)
    trainer, metrics = _trainer(3), {}
    overlong_filter.apply(trainer, _Batch(range(len(responses))), metrics)
    rows = lambda name: [r.tolist() for r in queue.fields[name].unbind()]  # noqa: E731
    assert rows("response_mask") == expect_mask and rows("loss_mask") == expect_mask
    assert rows("advantages") == expect_adv
    assert metrics["overlong_filter/all_truncated"] == float(all_cut)
    overlong_filter.restore(trainer)  # after the updates: verl's metrics see every generated token again
    assert rows("response_mask") == ones and rows("loss_mask") == ones


def test_a_stage_without_the_filter_is_left_alone(monkeypatch):
    import sys

    from lmmr1.verl import overlong_filter

    monkeypatch.setitem(sys.modules, "transfer_queue", None)  # any queue access would fail
    batch, metrics = _Batch([0]), {}
    assert overlong_filter.apply(_trainer(3, enable=False), batch, metrics) is batch and metrics == {}
