"""What to do with a model turn that calls ``headroom_retrieve``: one policy for the proxy and every host.

A pure function of the turn's tool-call names and the rounds already answered, so the proxy,
headroom-litellm and headroom-langchain decide alike, with one option (``retrieve_rounds``) and one
default (`RETRIEVE_ROUNDS`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from headroom.markers import RETRIEVE_TOOL_NAME

__all__ = ["RETRIEVE_ROUNDS", "RetrievalTurn", "TurnAction", "retrieval_turn"]

RETRIEVE_ROUNDS = 3
"""How many times per request Headroom answers ``headroom_retrieve`` and asks the model again."""

TurnAction = Literal["final", "continue", "hand_over", "stop"]


@dataclass(frozen=True)
class RetrievalTurn:
    """The decision for one turn.

    Attributes:
        action: ``"final"``: no ``headroom_retrieve`` call; the turn goes to the caller as it is.
            ``"continue"``: answer our calls and ask the model again.
            ``"hand_over"``: the model also called the caller's tools; the caller gets the turn with
            its calls now (it is the one that can run them). Our calls are answered where the answer
            can be put back into the conversation later (the proxy remembers them, headroom-litellm
            answers them on the next request), else dropped: the model can ask again.
            ``"stop"``: ``retrieve_rounds`` are spent; our calls are removed and the turn ends.
        ours: indexes of the ``headroom_retrieve`` calls.
        theirs: indexes of the caller's calls.
    """

    action: TurnAction
    ours: tuple[int, ...]
    theirs: tuple[int, ...]


def retrieval_turn(names: Sequence[str], *, rounds_done: int, retrieve_rounds: int = RETRIEVE_ROUNDS) -> RetrievalTurn:
    """Decide what happens to a turn whose tool calls have ``names``, after ``rounds_done`` rounds.

    Args:
        names: the tool name of each call in the turn, in order.
        rounds_done: how many retrieval rounds were already answered for this request.
        retrieve_rounds: the most rounds answered per request.

    Returns:
        The `RetrievalTurn`: a client call never waits behind our rounds, and a request never
        loops past ``retrieve_rounds``.
    """
    ours = tuple(i for i, n in enumerate(names) if n == RETRIEVE_TOOL_NAME)
    theirs = tuple(i for i, n in enumerate(names) if n != RETRIEVE_TOOL_NAME)
    if not ours:
        return RetrievalTurn("final", ours, theirs)
    if theirs:
        return RetrievalTurn("hand_over", ours, theirs)
    if rounds_done >= retrieve_rounds:
        return RetrievalTurn("stop", ours, theirs)
    return RetrievalTurn("continue", ours, theirs)
