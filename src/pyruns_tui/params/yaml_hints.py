"""Plain words for a YAML syntax error: which line of the text is at fault, and how to fix it.

PyYAML (libyaml or pure Python) and ruamel name the parser's state where it gave up, often on the
line after the mistake: an indented first line is "did not find expected <document start>" on
line 2, `lr:0.1` above `bs: 2` is "mapping values are not allowed in this context" on line 2.
`syntax_hint` recognises the mistakes people make typing a config by hand (an indented first
line, a tab, no space after a colon, a key without its colon, a line indented under a value, a
bracket or quote left open, text after a closing quote, a value starting with `@ % * & | >`, a
key set twice) and says each one plainly, naming the line; anything else keeps the parser's words.
Imported only when a text fails to load (no cost on the path that reads configs).
"""

from __future__ import annotations

import re

from pyruns_tui.params.yaml_comments import comment_start

SHOWN = 40  # characters of a line quoted in a message
_NO_SPACE = re.compile(r"(\s*(?:-\s+)?[A-Za-z_][\w.\-]*):(?=[^\s:])")  # `lr:0.1`, the key up to its colon
_KEY = re.compile(r"\s*(?:-\s+)?([^\s#'\"][^#]*?):(?:\s|$)")  # `lr: ...`, `- name: ...`
_TAB = re.compile(r"\btab\b|'\\t'")  # libyaml: "found a tab character ...", PyYAML: "found character '\t' ..."
_CLOSERS = {"[": "]", "{": "}"}
_STARTERS = {  # a character that cannot start a plain value: what it is in YAML
    "@": "reserved", "`": "reserved", "%": "a directive", "*": "an alias", "&": "an anchor",
    "|": "a block of text", ">": "a block of text", "!": "a tag",
}


def _body(line: str) -> str:
    """`line` without its comment."""
    comment = comment_start(line)
    return line if comment is None else line[:comment]


def _shown(line: str) -> str:
    line = _body(line).strip()
    return f"`{line}`" if len(line) <= SHOWN else f"`{line[:SHOWN - 1]}…`"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _content_above(lines: list[str], row: int) -> int | None:
    """The last line above `row` that holds more than a comment."""
    for above in range(min(row, len(lines)) - 1, -1, -1):
        if _is_content(lines[above]):
            return above
    return None


def _is_item(line: str) -> bool:
    stripped = _body(line).strip()
    return stripped == "-" or stripped.startswith("- ")


def _has_value(line: str) -> bool:
    """Whether a `key: value` line has a value after its colon (a section's `key:` has none)."""
    key = _KEY.match(line)
    return key is not None and bool(_body(line)[key.end():].strip())


def _no_space(lines: list[str], row: int) -> tuple[int, int, str] | None:
    """`lr:0.1` on line `row`: a key whose colon is not followed by a space."""
    if not 0 <= row < len(lines):
        return None
    line = lines[row]
    match = _NO_SPACE.match(line)
    if match is None or ": " in line[:match.end()]:
        return None
    at = match.end()  # after the colon
    fixed = f"{line[:at]} {line[at:]}".strip()
    return row, at - 1, f"line {row + 1} has no space after the colon ({_shown(line)}); write `{fixed}`"


def _no_colon(lines: list[str], row: int) -> tuple[int, int, str] | None:
    """Line `row` is neither `key: value` nor a list item (`bs 2`), or `lr:0.1`."""
    if not 0 <= row < len(lines):
        return None
    found = _no_space(lines, row)
    if found:
        return found
    line = lines[row]
    stripped = line.strip()
    if stripped.startswith("-") and stripped[1:2] not in ("", " "):
        return row, _indent(line), f"line {row + 1} ({_shown(line)}) needs a space after `-` to be a list item"
    if ":" in stripped or stripped.startswith(("-", "#", "[", "{", "'", '"')):
        return None
    body = _body(line).strip()
    name, equals, value = body.partition("=")
    if equals and name.strip().isidentifier() and value.strip():  # Python's `lr = 0.1` (a nanoGPT config file)
        return row, _indent(line), (f"line {row + 1} ({_shown(line)}) is Python, not YAML; write "
                                    f"`{name.strip()}: {value.strip()}`")
    words = body.split(None, 1)
    fix = f"{words[0]}: {words[1]}" if len(words) == 2 else "key: value"
    return row, _indent(line), f"line {row + 1} ({_shown(line)}) has no colon; write `{fix}`"


def _indented_under_value(lines: list[str], row: int) -> tuple[int, int, str] | None:
    """Line `row` is indented more than the line above, which already has a value."""
    above = _content_above(lines, row)
    if above is None or not 0 <= row < len(lines):
        return None
    line, upper = lines[row], lines[above]
    if _indent(line) <= _indent(upper) or not _has_value(upper):
        return None
    key = _KEY.match(upper)
    name = key.group(1).strip() if key else upper.strip()
    return row, _indent(line), (f"line {row + 1} ({_shown(line)}) is indented under {_shown(upper)}, which has a "
                                f"value; line it up with `{name}`")


def _indented_first(lines: list[str]) -> tuple[int, int, str] | None:
    first = next((row for row, line in enumerate(lines) if _is_content(line)), None)
    if first is None or _indent(lines[first]) == 0:
        return None
    line = lines[first]
    key = _KEY.match(line)
    return first, _indent(line), (f"line {first + 1} is indented; top-level keys start at column 1 "
                                  f"(remove the spaces before {f'`{key.group(1).strip()}:`' if key else _shown(line)})")


def _after_quote(lines: list[str], row: int, columns: list[int]) -> tuple[int, int, str] | None:
    """A quoted value followed by more text on its line (`a: 'x|y' | z`)."""
    if not 0 <= row < len(lines):
        return None
    line = lines[row]
    key = _KEY.match(line)
    if key is None:
        return None
    value = _body(line)[key.end():].strip()
    for column in columns:
        before = line[:column].rstrip().rstrip("|>").rstrip()
        if len(before) > key.end() and before[-1] in "'\"" and value[:1] in "'\"":
            name = key.group(1).strip()
            fix = f": `{name}: \"{value}\"`" if '"' not in value else ""
            return row, column, (f"line {row + 1}: the value goes on after its closing quote ({_shown(line)}); "
                                 f"quote the whole value{fix}")
    return None


def _bad_start(lines: list[str], row: int, column: int) -> tuple[int, int, str] | None:
    """A value that starts with a character YAML reads as syntax (`@`, `*`, `|`...)."""
    if not 0 <= row < len(lines) or not 0 <= column < len(lines[row]):
        return None
    line = lines[row]
    character = line[column]
    meaning = _STARTERS.get(character)
    if meaning is None:
        return None
    key = _KEY.match(line)
    body = _body(line)
    if key is not None and column == len(body) - len(body[key.end():].lstrip()):  # the value's first character
        value = body[key.end():].strip()
        fix = f": `{key.group(1).strip()}: '{value}'`" if "'" not in value else ""
        return row, column, f"line {row + 1}: a value cannot start with {character} ({meaning} in YAML); quote it{fix}"
    if column == _indent(line):
        return row, column, (f"line {row + 1} starts with {character} ({meaning} in YAML); remove it, or put the "
                             "text in quotes")
    return None


def _unclosed_flow(lines: list[str], at: tuple[int, int]) -> tuple[int, int, str] | None:
    row, column = at
    if not 0 <= row < len(lines) or not 0 <= column < len(lines[row]):
        return None
    opener = lines[row][column]
    if opener not in _CLOSERS:
        return None
    return row, column, (f"the `{opener}` on line {row + 1} is not closed ({_shown(lines[row])}); "
                         f"end it with `{_CLOSERS[opener]}` and separate the items with commas")


def _unclosed_quote(lines: list[str], at: tuple[int, int]) -> tuple[int, int, str] | None:
    row, column = at
    if not 0 <= row < len(lines) or not 0 <= column < len(lines[row]):
        return None
    quote = lines[row][column]
    if quote not in "'\"":
        return None
    return row, column, (f"the quote {quote} on line {row + 1} is not closed ({_shown(lines[row])}); "
                         f"end the value with {quote}")


def _misaligned(lines: list[str], row: int) -> tuple[int, int, str] | None:
    """Line `row` lines up with no line above it."""
    if not 0 <= row < len(lines):
        return None
    line = lines[row]
    indent = _indent(line)
    columns = sorted({_indent(above) for above in lines[:row] if _is_content(above)})
    above = _content_above(lines, row)
    upper = lines[above] if above is not None else ""
    if _is_item(line) and not any(_is_item(other) for other in lines[:row]) and not (
            _indent(upper) <= indent and _KEY.match(upper) and not _has_value(upper)):
        return row, indent, (f"line {row + 1} ({_shown(line)}) is a list item with no list to belong to; "
                             "put it under a key that has nothing after its colon (`tags:`)")
    if not columns or indent in columns:
        return None
    where = " or ".join(str(c + 1) for c in columns)
    return row, indent, (f"line {row + 1} ({_shown(line)}) lines up with no line above it; "
                         f"start it at column {where}, as the lines it belongs with")


def _twice(lines: list[str], row: int, problem: str) -> tuple[int, int, str] | None:
    """A key set twice in one mapping: both lines named."""
    name = re.search(r"duplicate key ['\"](.*?)['\"]", problem)
    if name is None or not 0 <= row < len(lines):
        return None
    key, indent = name.group(1), _indent(lines[row])
    for above in range(row):
        match = _KEY.match(lines[above])
        if match and _indent(lines[above]) == indent and match.group(1).strip() in (key, f"'{key}'", f'"{key}"'):
            return row, indent, (f"duplicate key '{key}' (lines {above + 1} and {row + 1}); keep one "
                                 f"(several values in one line make a grid: `{key}: a | b`)")
    return None


def syntax_hint(text: str, problem: str, problem_at: tuple[int, int] | None,
                context: str = "", context_at: tuple[int, int] | None = None) -> tuple[int, int, str] | None:
    """(line, column, message) of a YAML syntax error, both counted from 0, or None when it is not
    one of the mistakes recognised here. `problem`/`context` and their marks are the parser's."""
    lines = text.splitlines()
    row, column = problem_at if problem_at is not None else (len(lines), 0)
    line = lines[row] if 0 <= row < len(lines) else ""
    if _TAB.search(problem) or line[column:column + 1] == "\t":
        return row, column, f"line {row + 1} has a tab character where YAML takes spaces only (replace it with spaces)"
    if "document start" in problem:  # the first line read as a whole document
        first = next((row for row, line in enumerate(lines) if _is_content(line)), None)
        return _indented_first(lines) or (_no_colon(lines, first) if first is not None else None)
    if "another document" in problem:
        return row, 0, f"line {row + 1} (`---`) starts a second document; a config is one mapping (remove it)"
    if "duplicate key" in problem:
        return _twice(lines, row, problem)
    if "escape character" in problem:
        column -= line[column:column + 1] != "\\" and line[column - 1:column] == "\\"
        return row, column, (f"line {row + 1}: `{line[column:column + 2]}` is no escape inside double quotes; "
                             "use single quotes for text with backslashes")
    if "flow sequence" in context or "flow mapping" in context:
        return _unclosed_flow(lines, context_at) if context_at is not None else None
    if "quoted scalar" in context:
        return _unclosed_quote(lines, context_at) if context_at is not None and "end of stream" in problem else None
    if "block scalar" in context and context_at is not None:
        return _after_quote(lines, context_at[0], [context_at[1]]) or _bad_start(lines, *context_at)
    if ("alias" in context or "anchor" in context) and context_at is not None:
        return _bad_start(lines, *context_at)  # `*.txt`, `&`
    if "cannot start any token" in problem or "alias" in problem:
        return _after_quote(lines, row, [column]) or _bad_start(lines, row, column)
    if "sequence entries are not allowed" in problem:
        key = _KEY.match(line)
        if key is not None:
            name = key.group(1).strip()
            return row, column, (f"line {row + 1}: a list item (`- `) starts a line of its own; write `{name}:` "
                                 f"and the items indented below it, or `{name}: [a, b]`")
        return None
    if "mapping values are not allowed" in problem:
        if ": " in line[_indent(line):column]:
            key = _KEY.match(line)
            value = _body(line)[key.end():].strip() if key else ""
            fix = f": `{key.group(1).strip()}: '{value}'`" if key and "'" not in value else ""
            return row, column, f"line {row + 1} has a second `: `; quote the value{fix}"
        above = _content_above(lines, row)
        return ((_no_colon(lines, above) if above is not None else None)
                or _indented_under_value(lines, row))
    if "expected ':'" in problem and context_at is not None:
        return _no_colon(lines, context_at[0])
    if ("block collection" in context or "'-' indicator" in problem) and not line.strip().startswith("-"):
        return row, _indent(line), (f"line {row + 1} ({_shown(line)}) is lined up with the list items above but "
                                    "does not start with `- `; make it an item, or indent it less to leave the list")
    if "expected key" in problem or "<block end>" in problem:
        if line[column:column + 1] in ("]", "}"):
            return row, column, f"line {row + 1} has a `{line[column]}` that closes nothing; remove it"
        return (_after_quote(lines, row, [column]) or _indented_under_value(lines, row)
                or _misaligned(lines, row))
    return None


def scalar_hint(text: str) -> str | None:
    """Why a text that should hold `key: value` lines loaded as one plain value (`lr:0.1`)."""
    lines = text.splitlines()
    for row, line in enumerate(lines):
        if _is_content(line):
            found = _no_colon(lines, row)
            return found[2] if found else None
    return None
