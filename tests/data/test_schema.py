import pytest

from lmmr1.data.schema import normalize_gold, place_images, with_system


@pytest.mark.parametrize(
    "raw, gold",
    [
        ("$\\boxed{60}$", "60"),
        ("$\\boxed{\\frac{1}{2}}$", "\\frac{1}{2}"),
        ("\\boxed{x^{2}}", "x^{2}"),
        ("60", "60"),
        (60, "60"),
        ("$3\\sqrt{2}$", "3\\sqrt{2}"),
        ("\\boxed{1}, \\boxed{2}", "\\boxed{1}, \\boxed{2}"),  # not one box around everything: kept
        (["A"], "A"),
    ],
)
def test_normalize_gold(raw, gold):
    assert normalize_gold(raw) == gold


@pytest.mark.parametrize(
    "raw, why",
    [
        ("", "empty"),
        ("   ", "empty"),
        (None, "missing"),
        ("$\\boxed{60}", "unmatched"),
        ("\\frac{1}{2", "braces"),
        ("$\\boxed{}$", "empty"),
        ({"a": 1}, "type"),
        (["1", "2"], "list"),
    ],
)
def test_normalize_gold_rejects(raw, why):
    with pytest.raises(ValueError, match=why):
        normalize_gold(raw)


def test_place_images_keeps_matching_inline_placeholders_and_prepends_missing_ones():
    assert place_images("Look <image> here", 1) == "Look <image> here"
    assert place_images("Question", 2) == "<image><image>Question"
    assert place_images("Question", 0) == "Question"
    with pytest.raises(ValueError, match="1 '<image>' placeholder"):
        place_images("<image> one", 2)


def test_system_prompt_policy():
    user = [{"role": "user", "content": "q"}]
    own = [{"role": "system", "content": "mine"}] + user
    assert with_system(user, "S", False)[0] == {"role": "system", "content": "S"}
    assert with_system(own, "S", False) == own  # the source's own system turn wins by default
    assert with_system(own, "S", True)[0]["content"] == "S"  # an explicit --system-prompt wins
    assert with_system(own, None, True) == user  # --no-system-prompt
