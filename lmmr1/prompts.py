"""Prompts used by LMM-R1 training data.

The system prompt is the one LMM-R1's released data and scripts use (the R1-style think/answer
instruction). It is data, reproduced so that prepared datasets match the paper's; the format reward
checks exactly the tags it asks for.
"""

SYSTEM_PROMPT = (
    "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. "
    "The assistant first thinks about the reasoning process in the mind and then provides the user with "
    "the answer. The reasoning process and answer are enclosed within <think> </think> and <answer> </answer> "
    "tags, respectively, i.e., <think> reasoning process here </think><answer> answer here </answer>"
)

# Appended to math questions, as in LMM-R1's data: the final answer goes in \boxed{} inside <answer>.
MATH_SUFFIX = " Put the final answer in \\boxed{} inside the <answer> tags."


def chat_prompt(question: str, system_prompt: str | None = SYSTEM_PROMPT) -> list[dict[str, str]]:
    """verl's ``prompt`` column: a list of chat messages (system first when given)."""
    messages: list[dict[str, str]] = []
    if system_prompt:
        messages.append({"role": "system", "content": system_prompt})
    messages.append({"role": "user", "content": question})
    return messages
