"""Every prompt text lmmr1 writes into data (one place, so rows prepared any way match word for word).

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


# ---------------------------------------------------------------- agent tasks (written for lmmr1)
# Sokoban, LMM-R1's global setting: one picture of the first frame, the whole move list as the answer.
SOKOBAN_GLOBAL_INSTRUCTION = (
    "<image>\nThis is a game of Sokoban. You are the green character; the wooden crates are boxes, the red rings "
    "are goals, and the brick cells are walls. A box on a goal turns green. You can move Up, Down, Left or Right; "
    "walking into a box pushes it one cell if the cell behind it is free. You cannot pull boxes or push two at "
    "once. Push every box onto a goal.\nPlan the whole game from this picture and give all your moves at once: "
    "the answer is the sequence of moves separated by commas, e.g. <answer>Left, Up, Up, Right</answer>."
)

SOKOBAN_ONLINE_INSTRUCTION = (
    "<image>\nThis is a game of Sokoban. You are the green character; the wooden crates are boxes, the red rings "
    "are goals, and the brick cells are walls. A box on a goal turns green. You can move Up, Down, Left or Right; "
    "walking into a box pushes it one cell if the cell behind it is free. Push every box onto a goal.\nWe play "
    "turn by turn: answer with your next moves separated by commas (at most {max_moves}), e.g. "
    "<answer>Left, Up</answer>; you will then see the new state."
)

# The verl agent loop that serves each Sokoban task (`agent_name` column of the rows).
SOKOBAN_AGENT_NAMES = {"global": "single_turn_agent", "online": "sokoban_online"}


def sokoban_prompt(task: str, max_moves: int = 5) -> list[dict[str, str]]:
    """System + user messages of a Sokoban row (``task``: global or online)."""
    if task not in SOKOBAN_AGENT_NAMES:
        raise ValueError(f"Sokoban task must be one of {', '.join(SOKOBAN_AGENT_NAMES)}, got {task!r}")
    user = SOKOBAN_GLOBAL_INSTRUCTION if task == "global" else SOKOBAN_ONLINE_INSTRUCTION.format(max_moves=max_moves)
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


FOOTBALL_INSTRUCTION = (
    "<image>\nYou play football (soccer) for the yellow team, attacking the goal on the right. You control the "
    "yellow player with the white ring. Each turn, answer with one action: {actions}. Directions and sprint "
    "or dribble keep acting until released; builtin_ai lets the computer play your player for a moment. "
    "Example: <answer>right</answer>."
)


def football_prompt(action_names: list[str] | tuple[str, ...]) -> list[dict[str, str]]:
    """System + user messages of a football row (one action per turn)."""
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": FOOTBALL_INSTRUCTION.format(actions=", ".join(action_names))},
    ]
