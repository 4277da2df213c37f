"""One policy for a model turn that calls headroom_retrieve, shared by the proxy and every integration."""

from __future__ import annotations

import pytest
from headroom import RETRIEVE_ROUNDS, retrieval_turn

R = "headroom_retrieve"


@pytest.mark.parametrize(
    ("names", "done", "action", "ours", "theirs"),
    [
        ([], 0, "final", (), ()),
        (["read_file"], 0, "final", (), (0,)),
        ([R], 0, "continue", (0,), ()),
        ([R, R], 2, "continue", (0, 1), ()),
        ([R], 3, "stop", (0,), ()),  # the rounds are spent: our calls come off, the turn ends
        (["read_file", R], 0, "hand_over", (1,), (0,)),  # the client gets its call at once
        ([R, "bash", R], 3, "hand_over", (0, 2), (1,)),
    ],
)
def test_the_turn_policy(names: list[str], done: int, action: str, ours: tuple, theirs: tuple) -> None:
    turn = retrieval_turn(names, rounds_done=done)
    assert (turn.action, turn.ours, turn.theirs) == (action, ours, theirs)


def test_one_default_and_one_option_name() -> None:
    assert RETRIEVE_ROUNDS == 3
    assert retrieval_turn([R], rounds_done=3, retrieve_rounds=4).action == "continue"
    assert retrieval_turn([R], rounds_done=0, retrieve_rounds=0).action == "stop"
