"""The order of a command line's argv items: one argparse reads back in Python 3.10 to 3.14.

The positionals first, or last after the options when one of them takes every item after it (an
`argparse.REMAINDER` positional, detectron2's `opts`, or the sub-command, whose own argv follows);
a list option (`--tags a b`, it reads every plain item after it) is ended by the next flag, by
`--`, or goes as `--tags=a`; a positional's value that looks like a flag goes after `--`; what no
order passes is refused in one line (`_Layout`). The items themselves come from `argv_items`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from pyruns_tui.errors import ParamsError
from pyruns_tui.params.argv_items import _SEPARATOR, _Builder, _Cannot, _Chunk, _plain
from pyruns_tui.params.param_spec import ParamSpec, ScriptParams

# what argparse's regular expressions match of a positional, per nargs, over the command line's
# shape: A a value, O a flag, - the separator (its own patterns, the same from Python 3.10 to 3.14)
_POSITIONAL_PATTERNS = {None: "(-*A-*)", "?": "(-*A?-*)", "*": "(-*[A-]*)", "+": "(-*A[A-]*)",
                        "...": "([-AO]*)", "A...": "(-*A[-AO]*)"}


_Unit = tuple[str, ParamSpec, list[_Chunk]]  # one key's option chunks, in its order


def _positional_pattern(nargs: Any) -> str:
    """argparse's regular expression of a positional with `nargs` (`_POSITIONAL_PATTERNS`; N items
    for a number; one for what it does not know)."""
    if isinstance(nargs, int):
        return "(-*%s-*)" % "-*".join("A" * nargs)
    return _POSITIONAL_PATTERNS.get(nargs, "(-*A-*)")


def _items(units: list[_Unit]) -> list[str]:
    return [item for _, _, chunks in units for chunk in chunks for item in chunk.items]


def _open(unit: _Unit) -> bool:
    """Whether the key's items read the plain items after them as theirs (its last chunk is open)."""
    return unit[2][-1].open


class _Layout:
    """Orders one parser's argv (the main parser's, or the sub-command's): its options, then its
    positionals; for the main parser of a sub-command, then the sub-command's name and argv.

    argparse reads the items after an open option (nargs '*', '+', a '?' flag alone, REMAINDER)
    as that option's, up to the next flag, and a REMAINDER positional or a sub-command takes every
    item after its first one. So: with neither, and no positional value that looks like a flag,
    the positionals come first and the options after them (each list ends at the next flag, the
    last one at the end). Otherwise the positionals come last, and the item before them must end
    by itself: a closed option is put last (a one-item list goes as `--tags=a`), or `--` ends
    the options, which also lets a positional value start with `-` (`data: -weird`); `--` is
    taken (and dropped) by the parser's first positional, so that must not be a REMAINDER or the
    sub-command. What cannot be ordered so is refused (_Cannot), one line saying what to change;
    then argparse's own matching of the positionals is checked (`check`)."""

    def __init__(self, builder: _Builder, positionals: list[tuple[ParamSpec, tuple[str, ...]]],
                 options: list[_Unit], after: list[str] | None = None, subcommand: str | None = None) -> None:
        self.builder = builder
        self.positionals = positionals  # every positional of the parser, in order, with its items
        self.options = [unit for unit in options if unit[2]]
        self.after = after  # the sub-command's name and argv (main parser of a sub-command)
        self.subcommand = subcommand

    def argv(self) -> list[str]:
        plain = self.builder.plain
        rests = [unit for unit in self.options if any(chunk.rest for chunk in unit[2])]
        if len(rests) > 1:
            keys = " and ".join(repr(key) for key, _, _ in rests)
            raise _Cannot(f"keys {keys} both take every item after their flag (nargs=REMAINDER): "
                          "argparse would read the second as part of the first; set only one")
        closed = [unit for unit in self.options if not _open(unit)]
        opened = [unit for unit in self.options if _open(unit) and unit not in rests]
        region = [item for _, items in self.positionals for item in items] + (self.after or [])
        flagged = [item for spec, items in self.positionals if spec.nargs != "..." for item in items
                   if not plain(item)]
        tail = self.after is not None or any(spec.nargs == "..." for spec, _ in self.positionals)
        if not tail and not flagged:
            self.check(region, separator=False)
            return region + _items(closed) + _items(opened) + _items(rests)
        if not region:
            return _items(closed) + _items(opened) + _items(rests)
        separable = bool(self.positionals) and self.positionals[0][0].nargs != "..."
        separator = bool(flagged or rests)
        if opened and not closed and not separator:
            closable = [unit for unit in opened if unit[2][-1].closed is not None]
            if closable:
                key, spec, chunks = unit = closable[-1]
                opened.remove(unit)
                closed.append((key, spec, [*chunks[:-1], _Chunk(chunks[-1].closed or ())]))
            else:
                separator = True
        if separator and not separable and (rests or opened):
            raise _Cannot(self.unended(rests or opened))
        try:
            self.check(region, separator)
        except _Cannot as exc:
            if separator or not separable:
                raise
            try:  # after `--` every item is a value: a REMAINDER's item `--` stays its own
                self.check(region, True)
            except _Cannot:
                raise exc from None
            separator = True
        return _items(opened) + _items(closed) + _items(rests) + ([_SEPARATOR] if separator else []) + region

    def following(self) -> str:
        """What comes after the options, for a message."""
        for spec, items in self.positionals:
            if items:
                return f"the items of {spec.key!r}" if spec.nargs == "..." else f"the positional {spec.key!r}"
        return f"the sub-command {self.subcommand!r}"

    def unended(self, units: list[_Unit]) -> str:
        """Why the last of `units` cannot come before the positionals (nothing can end it)."""
        key, spec, _ = units[-1]
        flag = self.builder.flag(spec)
        if spec.nargs == "...":
            kind = "takes every item after it (nargs=REMAINDER)"
            fix = f"leave {key!r} empty"
        elif spec.nargs == "?":
            kind = "takes an optional value"
            fix = f"set {key!r} to a value other than its const, or set an option that takes one value too"
        else:
            kind = "is a list that ends only at the next flag"
            fix = f"give {key!r} one item, or set an option that takes one value too"
        what = self.following()
        return (f"key {key!r} ({flag}, which {kind}) cannot be passed before {what}: argparse would "
                f"read {what} as part of it; {fix}")

    def check(self, region: list[str], separator: bool) -> None:
        """_Cannot unless argparse's matching of the positionals (its regular expressions over the
        command line's shape, `_POSITIONAL_PATTERNS`) gives each positional its own items: it
        fills them in order, each as far as it can (`a` nargs='?' left empty takes the value of the
        `b` after it), and it starts them only at a plain item (`opts: [--x]` right after the
        options is an unknown flag)."""
        if separator:
            shape = "-" + "A" * len(region)
        else:
            marks, ended = [], False
            for item in region:
                marks.append("A" if ended else "-" if item == _SEPARATOR else self.builder.looks(item))
                ended = ended or item == _SEPARATOR
            shape = "".join(marks)
        named = [(repr(spec.key), spec.nargs, list(items)) for spec, items in self.positionals]
        if self.after is not None:
            named.append((f"the sub-command {self.subcommand!r}", "A...", self.after))
        if shape[:1] in ("O", "?"):
            key = next(key for key, _, items in named if items)
            raise _Cannot(f"key {key}: its first item {region[0]!r} starts with {region[0][0]!r} and "
                          "argparse would read it as an unknown flag (nothing comes before it to start "
                          f"the rest of the command line); start {key} with an item that does not")
        pattern = "".join(_positional_pattern(nargs) for _, nargs, _ in named)
        spans, start = [], 0
        for index, (_, _, items) in enumerate(named):
            count = len(items) + (separator and index == 0)
            spans.append((start, start + count))
            start += count
        for shown in (shape.replace("?", "A"), shape.replace("?", "O")):  # either way argparse reads them
            match = re.match(pattern, shown)
            if match is None or match.end() != len(shown) or \
                    [match.span(i + 1) for i in range(len(named))] != spans:
                break
        else:
            return
        line = [_SEPARATOR] * separator + region
        read = [[item for item in line[slice(*match.span(index + 1))] if item != _SEPARATOR]
                if match is not None and match.end() == len(shown) else None for index in range(len(named))]
        shown_read = ", ".join(f"{key}: {got!r}" for (key, _, _), got in zip(named, read) if got is not None)
        wrong = next((index for index, entry in enumerate(named) if read[index] != entry[2]), 0)
        key, nargs, wanted = named[wrong]
        later = next((entry[0] for entry in named[wrong + 1:] if entry[2]), None)
        if nargs == "..." and later is not None:
            fix = f"{key} takes every item after its first (nargs=REMAINDER), so {later} cannot follow it"
        elif not wanted and later is not None:
            fix = f"set {key} too, or leave {later} empty"
        elif later is not None and nargs in ("?", "*", "+"):
            fix = f"{key} (nargs={nargs!r}) takes the items after its own; leave {later} empty"
        else:
            fix = "change their values"
        reading = f" and would read {shown_read}" if shown_read else ""
        raise _Cannot(f"positionals {', '.join(key for key, _, _ in named[:len(self.positionals)])}: "
                      f"argparse fills them in order, each taking all it can{reading}; {fix}")


def _orders(sp: ScriptParams) -> bool:
    """Whether `_Layout` can refuse some config of the script: it has a sub-command, a REMAINDER
    argument, or a positional taking a variable number of items. (Otherwise the positionals go
    first and every option after them, or after `--` when a value looks like a flag.)"""
    return sp.subcommand is not None or any(
        spec.nargs == "..." or (spec.positional and spec.nargs in ("?", "*", "+")) for spec in sp.params)


_Levels = dict[str | None, tuple[list[tuple[ParamSpec, tuple[str, ...]]], list[_Unit]]]


def _levels(config: Mapping[str, Any], sp: ScriptParams, builder: _Builder, defaults: dict[str, Any],
            chosen: Callable[..., tuple[ParamSpec | None, list[_Chunk]]] | None = None,
            keyed: list[tuple[str, list[ParamSpec]]] | None = None) -> _Levels:
    """Each parser's (main: None, the sub-command's) positionals with their items (every one, in
    order: () when not passed) and its options' chunks (`chosen`: `_Builder.chosen`, or one that
    remembers; `keyed`: every key with its specs, in order, when the caller has them); ParamsError
    for a value no flag passes."""
    chosen = chosen or builder.chosen
    levels: _Levels = {None: ([], []), sp.subcommand: ([], [])}
    for key, specs in keyed or [(key, sp.specs_for(key)) for key in sp.keys()]:
        first = specs[0]
        positionals, options = levels[first.subcommand]
        value = _plain(config.get(key, defaults[key] if first.positional else None))
        if value is None:
            if first.required:
                raise ParamsError(f"config key {builder.required(key, first)}")
            if first.positional:
                positionals.append((first, ()))
            continue
        try:
            spec, chunks = chosen(key, value, specs, defaults[key], first.default_resolved)
        except _Cannot as exc:  # (a mapping is no typo to fix in place: no hint)
            raise ParamsError(f"config key {exc}{'' if isinstance(value, dict) else ' (fix config.yaml)'}") from None
        if first.positional:
            positionals.append((first, tuple(item for chunk in chunks for item in chunk.items)))
        elif chunks:
            options.append((key, spec or first, chunks))
    return levels


def _shape(levels: _Levels, builder: _Builder) -> Hashable:
    """What `_Layout` decides by, of `levels`: how argparse reads each positional's items (a value,
    a flag, either, the separator) and each option chunk's ends (open, closable, REMAINDER)."""
    return tuple(
        (tuple((spec.key, tuple("-" if item == _SEPARATOR else builder.looks(item) for item in items))
               for spec, items in positionals),
         tuple((key, tuple((chunk.open, chunk.closed is not None, chunk.rest, len(chunk.items)) for chunk in chunks))
               for key, _, chunks in options))
        for positionals, options in levels.values())


def _ordered(sp: ScriptParams, builder: _Builder, levels: _Levels) -> list[str]:
    """The command line of `levels` (`_Layout`): the sub-command's argv after the main parser's."""
    after = None
    if sp.subcommand is not None:
        after = [sp.subcommand, *_Layout(builder, *levels[sp.subcommand]).argv()]
    return _Layout(builder, *levels[None], after, sp.subcommand).argv()
