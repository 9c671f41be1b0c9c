"""The YAML mistakes people make typing a config, said plainly on the line at fault (params/yaml_hints.py)."""

from __future__ import annotations

import pytest

from pyruns_tui.errors import ParamsError
from pyruns_tui.params import yaml_roundtrip, yamlio
from pyruns_tui.params.spec_text import parse_spec

MISTAKES = [
    # (text, what load_text says after `spec.yaml:`)
    ("  lr: 0.1\nseed: 2\n",
     "1:3: invalid YAML: line 1 is indented; top-level keys start at column 1 (remove the spaces before `lr:`)"),
    ("# sweep\n   lr: 0.1\nseed: 2\n",
     "2:4: invalid YAML: line 2 is indented; top-level keys start at column 1 (remove the spaces before `lr:`)"),
    ("model:\n\tdepth: 18\n",
     "2:1: invalid YAML: line 2 has a tab character where YAML takes spaces only (replace it with spaces)"),
    ("lr:0.1\nseed: 2\n", "1:3: invalid YAML: line 1 has no space after the colon (`lr:0.1`); write `lr: 0.1`"),
    ("seed: 2\nlr:0.1\n", "2:3: invalid YAML: line 2 has no space after the colon (`lr:0.1`); write `lr: 0.1`"),
    ("model:\n  depth:18\n  width: 3\n",
     "2:8: invalid YAML: line 2 has no space after the colon (`depth:18`); write `depth: 18`"),
    ("lr 0.1\nseed: 2\n", "1:1: invalid YAML: line 1 (`lr 0.1`) has no colon; write `lr: 0.1`"),
    # nanoGPT's config/train_shakespeare_char.py given to init: the hint said `out_dir: = 'out-shakespeare-char'`
    ("# train a miniature character-level shakespeare model\n\nout_dir = 'out-shakespeare-char'\n"
     "eval_interval = 250 # keep frequent because we'll overfit\neval_iters = 200\n",
     "3:1: invalid YAML: line 3 (`out_dir = 'out-shakespeare-char'`) is Python, not YAML; write "
     "`out_dir: 'out-shakespeare-char'`"),
    ("arch resnet18  # the network\nmodel:\n  depth: 18\n",
     "1:1: invalid YAML: line 1 (`arch resnet18`) has no colon; write `arch: resnet18`"),
    ("seed: 1\ntags: - a\n",
     "2:7: invalid YAML: line 2: a list item (`- `) starts a line of its own; write `tags:` and the items indented "
     "below it, or `tags: [a, b]`"),
    ("lr: 0.1\n  seed: 2\n",
     "2:3: invalid YAML: line 2 (`seed: 2`) is indented under `lr: 0.1`, which has a value; line it up with `lr`"),
    ("model:\n  depth: 18\n width: 3\n",
     "3:2: invalid YAML: line 3 (`width: 3`) lines up with no line above it; start it at column 1 or 3, "
     "as the lines it belongs with"),
    ("lr: [0.1, 0.2\nseed: 2\n",
     "1:5: invalid YAML: the `[` on line 1 is not closed (`lr: [0.1, 0.2`); end it with `]` and separate the "
     "items with commas"),
    ("model: {depth: 18\nseed: 2\n",
     "1:8: invalid YAML: the `{` on line 1 is not closed (`model: {depth: 18`); end it with `}` and separate the "
     "items with commas"),
    ("lr: [0.1, 0.2]]\n", "1:15: invalid YAML: line 1 has a `]` that closes nothing; remove it"),
    ("name: 'run\nseed: 2\n",
     "1:7: invalid YAML: the quote ' on line 1 is not closed (`name: 'run`); end the value with '"),
    ("name: 'a|b' | c\n",
     "1:13: invalid YAML: line 1: the value goes on after its closing quote (`name: 'a|b' | c`); quote the "
     "whole value: `name: \"'a|b' | c\"`"),
    ("name: a: b\n", "1:8: invalid YAML: line 1 has a second `: `; quote the value: `name: 'a: b'`"),
    ("files: *.txt\n",
     "1:8: invalid YAML: line 1: a value cannot start with * (an alias in YAML); quote it: `files: '*.txt'`"),
    ("user: @me\n", "1:7: invalid YAML: line 1: a value cannot start with @ (reserved in YAML); quote it: `user: '@me'`"),
    ('path: "C:\\data"\n',
     "1:10: invalid YAML: line 1: `\\d` is no escape inside double quotes; use single quotes for text with backslashes"),
    ("lr: 0.1\nlr: 0.2\n",
     "2:1: invalid YAML: duplicate key 'lr' (lines 1 and 2); keep one (several values in one line make a grid: "
     "`lr: a | b`)"),
    ("seed: 1\n- 2\n", "2:1: invalid YAML: line 2 (`- 2`) is a list item with no list to belong to; put it under a "
                       "key that has nothing after its colon (`tags:`)"),
    ("tags:\n  - a\n  b: 2\n", "3:3: invalid YAML: line 3 (`b: 2`) is lined up with the list items above but does "
                               "not start with `- `; make it an item, or indent it less to leave the list"),
    ("tags:\n  - a\n  -b\n", "3:3: invalid YAML: line 3 (`-b`) needs a space after `-` to be a list item"),
]


@pytest.fixture(params=["libyaml", "python"])
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both loaders load_text uses: libyaml's, and PyYAML's own (for texts that may nest deeply); their words differ."""
    if request.param == "python":
        monkeypatch.setattr(yamlio, "_may_nest_deeply", lambda text: True)
    return str(request.param)


@pytest.mark.parametrize(("text", "said"), MISTAKES, ids=[text.split("\n")[0] for text, _ in MISTAKES])
def test_a_mistake_is_said_plainly_on_its_line(text: str, said: str, loader: str) -> None:
    with pytest.raises(ParamsError) as info:
        yamlio.load_text(text, where="spec.yaml")
    assert str(info.value) == f"spec.yaml:{said}"


def test_a_config_edited_with_comments_says_the_same() -> None:
    """ruamel (the round-trip loader of texts people edit) reads the same mistakes."""
    for text in ("  lr: 0.1\nseed: 2\n", "lr:0.1\nseed: 2\n", "lr: [0.1, 0.2\nseed: 2\n", "lr: 0.1\nlr: 0.2\n"):
        with pytest.raises(ParamsError) as plain:
            yamlio.load_text(text, where="c.yaml")
        with pytest.raises(ParamsError) as edited:
            yaml_roundtrip.load_roundtrip(text, where="c.yaml")
        assert str(edited.value) == str(plain.value)


@pytest.mark.parametrize(("text", "said"), [
    ("lr:0.1\n", "line 1 has no space after the colon (`lr:0.1`); write `lr: 0.1`"),
    ("# one run\nlr:0.1\nseed:2\n", "line 2 has no space after the colon (`lr:0.1`); write `lr: 0.1`"),
])
def test_a_spec_that_loads_as_one_text_says_why(text: str, said: str) -> None:
    """`lr:0.1` alone is valid YAML, the text 'lr:0.1': the spec is not a mapping, and the line says why."""
    with pytest.raises(ParamsError) as info:
        parse_spec(text, where="spec.yaml", what="spec")
    assert str(info.value) == f"spec.yaml: the spec must be a mapping of key: value; {said}"
