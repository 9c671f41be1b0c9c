"""Shell command templates (`python train.py --lr {lr}`): where each `{key}` placeholder stands
in the shell's grammar, and how to fill it so the value is one literal word whatever it holds.

A small POSIX-shell lexer follows quotes, `$(...)`, backticks, `${...}`, `$((...))`, `$'...'`,
comments, here-documents and `[[ ]]`. A placeholder outside quotes becomes a single-quoted word;
inside '...' or "..." the quotes are closed around the single-quoted value and reopened, so it
joins the surrounding word. Where no quoting is literal (backticks, `${...}`, arithmetic,
`$'...'`, comments, here-documents, `[[ ]]` whose operands bash evaluates, after a backslash)
the template is refused with the reason.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass

from pyruns_tui.errors import GridError

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_WORD_START = frozenset(" \t\n;&|()<>")
# frames of the lexer; placeholders may stand only where every open frame is one of these
TOP, CMD, SQ, DQ = "top", "$(...)", "'...'", '"..."'
BACKTICK, BRACE, ARITH, ANSI, COMMENT = "`...`", "${...}", "$((...))", "$'...'", "a # comment"
_FILLABLE = frozenset((TOP, CMD, SQ, DQ))


@dataclass(frozen=True)
class Placeholder:
    """A `{key}` in a template and the quoting it stands in (TOP/CMD: unquoted, SQ, DQ)."""

    key: str
    context: str


Piece = str | Placeholder


def _refuse(key: str, why: str) -> GridError:
    return GridError(f"command placeholder {{{key}}} stands {why}, where no quoting keeps a value literal; "
                     f"use it outside, e.g. v={{{key}}}; ... \"$v\"")


class _Lexer:
    """Feeds template characters through the shell's quoting rules, one at a time."""

    def __init__(self) -> None:
        self.stack: list[str] = [TOP]
        self.escaped = False  # the previous character was an unquoted/double-quoted backslash
        self.prev = ""  # the previous literal character (for `$`, word starts and `<<`)
        self.arith_depth: list[int] = []
        self.heredoc = False
        self.condition = False  # inside [[ ... ]]
        self.word = ""  # the current unquoted word at top level (to see `[[` and `]]`)

    def where(self, key: str) -> str:
        """The context of a placeholder starting now; GridError when it cannot be filled safely."""
        if self.escaped:
            raise _refuse(key, "right after a backslash")
        if self.heredoc:
            raise _refuse(key, "after a here-document (<<)")
        if self.condition:
            raise _refuse(key, "inside [[ ... ]] (bash evaluates its operands as arithmetic)")
        for frame in self.stack:
            if frame not in _FILLABLE:
                raise _refuse(key, f"inside {frame}")
        return self.stack[-1]

    def feed(self, char: str, ahead: str) -> None:
        """One literal character of the template; `ahead` holds the next two."""
        frame = self.stack[-1]
        prev, self.prev = self.prev, char
        if self.escaped:
            self.escaped = False
            self.prev = "_"  # an escaped character is plain text: no `$`, no word start
            return
        if frame == SQ:
            if char == "'":
                self.stack.pop()
            return
        if frame == COMMENT:
            if char == "\n":
                self.stack.pop()
            return
        if char == "\\" and frame != BRACE:
            self.escaped = True
            return
        if frame == ANSI:
            if char == "'":
                self.stack.pop()
            return
        if frame == BACKTICK:
            if char == "`":
                self.stack.pop()
            return
        if frame == ARITH:
            self._arith(char)
            return
        if frame == BRACE:
            if char == "}":
                self.stack.pop()
            elif char == "{" and prev == "$":
                self.stack.append(BRACE)
            return
        if char == "`":
            self.stack.append(BACKTICK)
        elif prev == "$" and char == "(":
            if ahead[:1] == "(":
                self.stack.append(ARITH)
                self.arith_depth.append(-1)  # the second `(` of `$((` brings it to 0
            else:
                self.stack.append(CMD)
        elif prev == "$" and char == "{":
            self.stack.append(BRACE)
        elif frame == DQ:
            if char == '"':
                self.stack.pop()
        elif prev == "$" and char == "'":
            self.stack.append(ANSI)
        elif char == "'":
            self.stack.append(SQ)
        elif char == '"':
            self.stack.append(DQ)
        else:
            self._unquoted(char, prev, ahead)

    def _arith(self, char: str) -> None:
        if char == "(":
            self.arith_depth[-1] += 1
        elif char == ")":
            self.arith_depth[-1] -= 1
            if self.arith_depth[-1] < -1:
                self.arith_depth.pop()
                self.stack.pop()

    def _unquoted(self, char: str, prev: str, ahead: str) -> None:
        at_word_start = prev == "" or prev in _WORD_START
        if char == "#" and at_word_start:
            self.stack.append(COMMENT)
        elif char == "(" and at_word_start and ahead[:1] == "(":
            self.stack.append(ARITH)
            self.arith_depth.append(-1)
        elif char == "(" and self.stack[-1] == CMD:
            self.stack.append(CMD)  # a subshell or case pattern inside $(...): its `)` closes it
        elif char == ")" and self.stack[-1] == CMD:
            self.stack.pop()
        elif char == "<" and prev == "<" and ahead[:1] != "<":
            self.heredoc = True
        if char in _WORD_START:
            if self.word == "[[":
                self.condition = True
            elif self.word == "]]":
                self.condition = False
            self.word = ""
        else:
            self.word += char


def parse_template(template: str) -> list[Piece]:
    """The template as literal text and placeholders, each with its quoting context.

    `{{` and `}}` are literal braces. GridError for a placeholder no quoting can make literal
    and for an unterminated quote or substitution."""
    lexer = _Lexer()
    pieces: list[Piece] = []
    literal: list[str] = []
    position = 0
    while position < len(template):
        char = template[position]
        if char in "{}" and template[position : position + 2] in ("{{", "}}"):
            literal.append(char)
            lexer.feed(char, template[position + 2 : position + 4])
            position += 2
            continue
        match = _PLACEHOLDER.match(template, position) if char == "{" else None
        if match is None or (lexer.prev == "$" and lexer.stack[-1] != SQ and not lexer.escaped):
            literal.append(char)
            lexer.feed(char, template[position + 1 : position + 3])
            position += 1
            continue
        key = match.group(1).strip()
        context = lexer.where(key)
        pieces.append("".join(literal))
        literal = []
        pieces.append(Placeholder(key, context))
        position = match.end()
    open_frames = [frame for frame in lexer.stack[1:] if frame != COMMENT]
    if open_frames or lexer.escaped:
        what = open_frames[-1] if open_frames else "a trailing backslash"
        raise GridError(f"the command template ends inside {what}; close it")
    pieces.append("".join(literal))
    return [piece for piece in pieces if piece != ""]


def quote_in(context: str, value: str) -> str:
    """`value` as shell text that reads back as exactly `value`, as part of the current word,
    in a placeholder's `context`."""
    if "\0" in value:
        raise GridError("a value for a shell command cannot hold a NUL byte")
    quoted = shlex.quote(value)
    if context == SQ:
        return f"'{quoted}'"
    if context == DQ:
        return f'"{quoted}"'
    return quoted


def fill_template(template: str, value_of: Callable[[str], str | list[str]]) -> str:
    """The template with each placeholder replaced by its value (`value_of(key)`), quoted for
    where it stands; a list outside quotes becomes one word per item, inside quotes one word."""
    out: list[str] = []
    for piece in parse_template(template):
        if isinstance(piece, str):
            out.append(piece)
            continue
        value = value_of(piece.key)
        if isinstance(value, list):
            if piece.context in (TOP, CMD):
                out.append(" ".join(quote_in(piece.context, item) for item in value))
                continue
            value = " ".join(value)
        out.append(quote_in(piece.context, value))
    return "".join(out)
