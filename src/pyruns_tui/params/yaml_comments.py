"""End-of-line comments of a YAML spec text, read line by line: where a line's comment starts,
and text typed into a key's help comment (after its `#`, so not part of the value)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

_KEY = re.compile(r"^( *)([^\s#:'\"\-][^#:]*?|'[^']*'|\"[^\"]*\")\s*:(?=\s|$)")
_QUOTE_OPENS_AFTER = " \t[{,:"  # a quote starts a quoted scalar only where a token starts


def comment_start(line: str) -> int | None:
    """Index of the `#` starting `line`'s comment (at the line start or after a blank, outside
    quotes, as YAML reads it); None when the line has no comment."""
    quote = ""
    escaped = False
    for index, char in enumerate(line):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\" and quote == '"':
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "'\"" and (index == 0 or line[index - 1] in _QUOTE_OPENS_AFTER):
            quote = char
        elif char == "#" and (index == 0 or line[index - 1] in " \t"):
            return index
    return None


def value_end(line: str) -> int | None:
    """Where the text before `line`'s comment ends (its trailing blanks left out): the End key's
    first stop. None when the line has no comment or nothing before it."""
    start = comment_start(line)
    if start is None:
        return None
    end = len(line[:start].rstrip())
    return end if end else None


def _key_lines(text: str) -> Iterator[tuple[str, int, re.Match[str]]]:
    """(dotted.key, line index, the key's match) of each `key: ...` line of a block-style YAML
    mapping; keys nest by indentation."""
    parents: list[tuple[int, str]] = []  # (indent, key) of the mappings the line is inside
    for index, line in enumerate(text.splitlines()):
        match = _KEY.match(line)
        if match is None:
            continue
        indent = len(match.group(1))
        while parents and parents[-1][0] >= indent:
            parents.pop()
        key = match.group(2).strip()
        if key[0] in "'\"":
            key = key[1:-1]
        yield ".".join([*(name for _, name in parents), key]), index, match
        parents.append((indent, key))


def eol_comments(text: str) -> dict[str, str]:
    """`dotted.key -> comment` (from its `#`, trailing blanks left out) of each `key: ...  # comment`
    line of a block-style YAML mapping; keys nest by indentation."""
    comments: dict[str, str] = {}
    lines = text.splitlines()
    for path, index, _ in _key_lines(text):
        start = comment_start(lines[index])
        if start is not None:
            comments[path] = lines[index][start:].rstrip()
    return comments


def value_span(text: str, key: str) -> tuple[int, int, int] | None:
    """(line index, start, end) of the value of the dotted `key` in `text` (after `key: `, before a
    comment; start == end for an empty value); None when no line holds that key."""
    lines = text.splitlines()
    for path, index, match in _key_lines(text):
        if path != key:
            continue
        line = lines[index]
        end = comment_start(line)
        end = len(line[:end].rstrip()) if end is not None else len(line.rstrip())
        start = match.end()
        while start < end and line[start] in " \t":
            start += 1
        return index, start, max(start, end)
    return None


def typed_into_comments(help_comments: Mapping[str, str], text: str) -> list[tuple[str, str]]:
    """(key, problem) for each key of `text` whose comment holds more than its help comment
    (`help_comments`, from the text the editor started from): what was typed after the `#`
    is no part of the value, which would silently lack it. A help comment cut short is no problem."""
    problems: list[tuple[str, str]] = []
    for key, comment in eol_comments(text).items():
        help_comment = help_comments.get(key)
        if help_comment is None or help_comment.startswith(comment):
            continue
        if comment.startswith(help_comment):
            typed = comment[len(help_comment):].strip()
            problems.append((key, f"{typed!r} is in the comment (after '#'), not in the value; "
                                  f"type it before the '#', or delete it"))
        else:
            problems.append((key, f"the comment was edited ({comment!r}; it was {help_comment!r}): "
                                  f"text after '#' is not in the value; type the value before the '#', "
                                  f"or restore the comment"))
    return problems
