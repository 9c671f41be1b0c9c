"""workspace/named.py: which batch a task's name belongs to is one rule, read two ways."""

from __future__ import annotations

import itertools

from pyruns_tui.workspace.named import batch_prefix, matches_in

NAMES = ["sweep", "sweep_1-of-4", "sweep_10-of-12", "sweep_1-of-4_2", "sweep_1-of-4_2-of-3", "sweep_1-of-4_2-of-3_5",
         "sweep_x", "sweep_1-of-", "sweep_-of-4", "_1-of-2", "a_1_2-of-3", "1206-101457_3-of-8", "sweepy_1-of-2",
         "sweep_1-of-4_", "sweep__1-of-4", "sweep_1-of-4__2", "s_1-of-2_3_4-of-5"]


def test_a_batch_word_names_the_tasks_batch_prefix_puts_in_it() -> None:
    # `matches_in` compiles the word into a regular expression (fast over a listing), `batch_prefix`
    # reads the name; `batch_notes` relies on both saying the same
    words = {"", "sweep", "sweep_1-of-4", "a_1", "a", "1206-101457", "s_1-of-2_3", "sweep_"} | set(NAMES)
    for word, name in itertools.product(sorted(words), NAMES):
        assert (matches_in(word, [name]) == [name]) == (batch_prefix(name) == word), (word, name)
    assert batch_prefix("sweep_1-of-4_2-of-3") == "sweep_1-of-4" and batch_prefix("sweep_1-of-4_2") == "sweep"
    assert batch_prefix("sweep") is None and batch_prefix("sweep_x") is None
