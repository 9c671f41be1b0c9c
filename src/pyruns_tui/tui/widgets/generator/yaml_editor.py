"""YamlEditor: a TextArea for the spec as YAML, highlighted without needing tree-sitter."""

from __future__ import annotations

import re

from textual.binding import Binding
from textual.widgets import TextArea

from pyruns_tui.params.yaml_comments import comment_start, value_end

_KEY = re.compile(r"^(\s*(?:-\s+)?)([^\s#:'\"\-][^#:]*?|'[^']*'|\"[^\"]*\")(\s*:)(?=\s|$)")
_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_BOOL = re.compile(r"(?:true|false|True|False|TRUE|FALSE)")
_NULL = re.compile(r"(?:null|Null|NULL|~)")
_TOKEN = re.compile(r"'[^']*'|\"(?:[^\"\\]|\\.)*\"|[^\s|()\[\],:{}]+|[|()]|:")


def _byte_offsets(line: str) -> list[int]:
    """Byte offset of each character index of `line` (plus the end), as TextArea highlights use."""
    offsets = [0]
    for char in line:
        offsets.append(offsets[-1] + len(char.encode("utf-8")))
    return offsets


def highlight_line(line: str) -> list[tuple[int, int, str]]:
    """(start, end, highlight name) character spans of one YAML line, grid syntax included."""
    spans: list[tuple[int, int, str]] = []
    body_end = len(line)
    comment = comment_start(line)
    if comment is not None:
        spans.append((comment, len(line), "comment"))
        body_end = comment
    start = 0
    key = _KEY.match(line[:body_end])
    if key:
        spans.append((key.start(2), key.end(2), "yaml.field"))
        start = key.end(3)
    for token in _TOKEN.finditer(line, start, body_end):
        text = token.group(0)
        name = None
        if text in ("|", "(", ")"):
            name = "keyword"  # grid syntax stands out
        elif text == ":":
            name = "operator"
        elif text[0] in "'\"":
            name = "string"
        elif _NUMBER.fullmatch(text):
            name = "number"
        elif _BOOL.fullmatch(text):
            name = "boolean"
        elif _NULL.fullmatch(text):
            name = "constant.builtin"
        if name:
            spans.append((token.start(), token.end(), name))
    return spans


class YamlEditor(TextArea):
    """The spec as YAML text. Uses tree-sitter highlighting when installed, else a small
    line-based highlighter (keys, comments, numbers, booleans, strings, grid `|` and `( )`).

    Bindings: those of TextArea (ctrl+z undo, ...); `End` on a line with a comment stops first
    at the end of the value, before the comment (text typed after a `#` is no part of the value),
    then at the end of the line, as `Home` stops first at the indentation. `Esc` leaves the text,
    as TextArea's own does (Tab indents, `1`/`2`/`3` are typed): shown in the footer, as no other
    key says how to get out.
    """

    BINDINGS = [
        Binding("escape", "leave_text", "Leave text",
                tooltip="Leave the text (then 1/2/3 switch screens, Tab moves on)"),
    ]
    DEFAULT_CSS = """
    YamlEditor { height: 1fr; width: 1fr; border: none; padding: 0 1; }
    YamlEditor:focus { border: none; }
    """

    def __init__(self, text: str = "", *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(text, id=id, classes=classes, soft_wrap=False, tab_behavior="indent",
                         show_line_numbers=False, compact=True)
        self.indent_width = 2

    def action_leave_text(self) -> None:
        """Move the focus on, as TextArea's own `Esc` does with `tab_behavior="indent"`."""
        self.screen.focus_next()

    def action_cursor_line_end(self, select: bool = False) -> None:
        """Move the cursor to the end of the value (before a comment), or from there to the line end."""
        row, column = self.cursor_location
        stop = value_end(self.document[row]) if self._has_cursor else None
        if stop is None or column == stop:
            super().action_cursor_line_end(select)
        else:
            self.move_cursor((row, stop), select=select)

    def _build_highlight_map(self) -> None:
        super()._build_highlight_map()
        if self._highlight_query:
            return
        # no tree-sitter (it is not a runtime dependency): fill the map line by line
        highlights = self._highlights
        for index, line in enumerate(self.document.lines):
            spans = highlight_line(line)
            if not spans:
                continue
            offsets = _byte_offsets(line) if not line.isascii() else None
            for start, end, name in spans:
                if offsets is not None:
                    start, end = offsets[start], offsets[end]
                highlights[index].append((start, end, name))
