"""The Generator form's label column: how wide it is, and each parameter's name cut to fit it
(two names never cut to the same text)."""

from __future__ import annotations

from rich.cells import cell_len

from pyruns_tui.params.form_model import FieldModel

LABEL_WIDTH = 18  # the label column at 80 columns (and its least width)
LABEL_SHARE = 0.22  # a wider terminal widens the label column up to this share of its width


def label_room(field: FieldModel, width: int) -> int:
    """The cells the name of `field` may take in a label column `width` wide: the pin slot, the ⚠ of
    an unresolved default and the space before the value take the rest."""
    return width - 3 - (2 if field.unresolved else 0)


def label_width(fields: list[FieldModel], columns: int) -> int:
    """The label column's width for a terminal `columns` wide: room for the longest name, at least
    LABEL_WIDTH, at most LABEL_SHARE of the terminal."""
    longest = max((LABEL_WIDTH - label_room(field, LABEL_WIDTH) + cell_len(field.name) for field in fields), default=0)
    return max(LABEL_WIDTH, min(longest, int(columns * LABEL_SHARE)))


def cut_names(names: list[tuple[str, int]]) -> list[str]:
    """Each (name, room) cut to its room with `…`, so that two different names never read the same:
    names whose cuts would read the same keep their end instead (`checkpoint_mod…` and
    `checkpoint_int…` become `…oint_model_dir` and `…nt_interval`), else their start and end."""
    cuts = [name if cell_len(name) <= room else _cut(name, room, room - 1) for name, room in names]
    clashing = [index for index, cut in enumerate(cuts) if cut != names[index][0] and cuts.count(cut) > 1]
    for index in clashing:
        name, room = names[index]
        taken = {cut for other, cut in enumerate(cuts) if other != index}
        for head in [0, *range(room - 2, 0, -1)]:
            cut = _cut(name, room, head)
            if cut not in taken:
                cuts[index] = cut
                break
    return cuts


def _cut(name: str, room: int, head: int) -> str:
    """`name` in `room` cells: its first `head` characters, `…`, then as much of its end as fits."""
    tail = room - 1 - head
    return name[:head] + "…" + (name[-tail:] if tail > 0 else "")
