"""params.yaml_comments: where a YAML line's comment starts, and text typed into a help comment."""

from __future__ import annotations

import pytest

from pyruns_tui.params.yaml_comments import comment_start, eol_comments, typed_into_comments, value_end, value_span

HELP = "lr: 0.001             # peak learning rate\nseed: 0  # random seed\n"


@pytest.mark.parametrize(("line", "start"), [
    ("lr: 0.1  # peak", 9),
    ("# a whole-line comment", 0),
    ("lr: 0.1", None),
    ("name: run#2  # the #2 is part of the value", 13),
    ("name: 'a #b'  # quoted", 14),
    ('name: "a \\" #b"  # escaped quote', 17),
    ("note: it's #1", 11),  # an apostrophe inside a word opens no quote
])
def test_comment_start_is_where_yaml_starts_the_comment(line: str, start: int | None) -> None:
    assert comment_start(line) == start


def test_value_end_stops_before_the_blanks_and_the_comment() -> None:
    assert value_end("lr: 0.001             # peak learning rate") == len("lr: 0.001")
    assert value_end("lr: 0.001") is None
    assert value_end("   # only a comment") is None


def test_eol_comments_name_nested_keys_by_path() -> None:
    text = "model:  # the network\n  depth: 18  # layers\n  'width': 4\nseed: 0 # seed\n"
    assert eol_comments(text) == {"model": "# the network", "model.depth": "# layers", "seed": "# seed"}


def test_text_typed_after_a_help_comment_is_a_problem() -> None:
    typed = HELP.replace("# peak learning rate", "# peak learning rate | 0.01")
    [(key, problem)] = typed_into_comments(eol_comments(HELP), typed)
    assert key == "lr"
    assert problem == "'| 0.01' is in the comment (after '#'), not in the value; type it before the '#', or delete it"


def test_an_edited_help_comment_is_a_problem_and_says_what_it_was() -> None:
    typed = HELP.replace("# peak learning rate", "# peak 0.1 learning rate")
    [(key, problem)] = typed_into_comments(eol_comments(HELP), typed)
    assert key == "lr" and "'# peak 0.1 learning rate'" in problem and "'# peak learning rate'" in problem


@pytest.mark.parametrize("text", [
    HELP,
    HELP.replace("  # peak learning rate", ""),  # the comment deleted
    HELP.replace("# peak learning rate", "# peak"),  # cut short
    HELP.replace("lr: 0.001", "lr: 0.1 | 0.01"),  # the value changed, the comment kept
    HELP + "epochs: 3  # my own note\n",  # a comment on a line that had no help
])
def test_help_comments_kept_cut_or_deleted_are_no_problem(text: str) -> None:
    assert typed_into_comments(eol_comments(HELP), text) == []


def test_value_span_is_where_a_nested_keys_value_lies_before_its_comment() -> None:
    text = "model:\n  arch: resnet18  # net\n  depth: 3\nlr: 0.001   # peak\nempty:\narch: x\n"
    assert value_span(text, "model.arch") == (1, 8, 16)
    assert value_span(text, "arch") == (5, 6, 7)  # the top-level one, not model's
    assert value_span(text, "lr") == (3, 4, 9)
    assert value_span(text, "empty") == (4, 6, 6)
    assert value_span(text, "model.lr") is None
