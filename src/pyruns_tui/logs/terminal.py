"""TerminalModel: raw terminal bytes in, styled screen lines out (incremental, pure, bounded).

What a task wrote to its pty (run_logs/runN.log) is fed in chunks of any size; UTF-8
characters and escape sequences may be split across chunks. The model behaves like a VT100/
xterm of `height` rows (the runner's pty is 160x50) over a scrollback of `max_lines` lines:

* `\\n` implies `\\r` (newline mode), so `\\r\\n` and bare `\\n` both start a new line;
  `\\r` returns to column 0 so tqdm bars update in place; cursor-up/down, column moves,
  erase line/display, insert/delete characters and lines, save/restore cursor and reverse
  index redraw recent lines like multi-bar tqdm and rich progress do;
* SGR colours (16, 256, truecolor) and attributes are kept as styles (`line(n)` -> rich Text);
* with `wrap=True` lines wrap at `columns` like a real terminal (used to compare with pyte);
  by default (`wrap=False`, for the viewer) lines are kept whole and only hard-wrapped at
  `max_line_chars`, which bounds the memory of a 10 MB line without a newline;
* `ESC [ 2 J` keeps the erased screen in the scrollback (a log viewer never loses lines);
  scroll regions, modes other than autowrap and the alternate screen are ignored; OSC/DCS
  strings and unknown sequences are swallowed; an unterminated OSC/DCS string ends at the
  next newline so one stray `ESC ]` cannot hide the rest of a log; invalid UTF-8 becomes
  U+FFFD; NUL and other unused control characters are dropped.

Text runs between control bytes are found with one regex and written in bulk; chunks made
only of text, newlines and SGR sequences take a faster whole-chunk path.
"""

from __future__ import annotations

import codecs
import re

from pyruns_tui.logs.screen_buffer import ScreenBuffer
from pyruns_tui.logs.sgr import SGR_TRANSITIONS, apply_sgr
from pyruns_tui.logs.style_runs import Run

_CTRL = "\x00-\x09\x0b-\x1f\x7f-\x9f"  # every control character except LF
# one parser step: a run of text, then a complete CSI sequence or one control character
_TOKEN_RE = re.compile(
    f"([^{_CTRL}]*)(?:\x1b\\[([\x30-\x3f]*)([\x20-\x2f]*)([\x40-\x7e])|([{_CTRL}]))?")
_NOT_STYLED_RE = re.compile("[\x00-\x09\x0b-\x1a\x1c-\x1f\x7f-\x9f]|\x1b(?!\\[[0-9;:]*m)")
_SGR_SPLIT_RE = re.compile("\x1b\\[([0-9;:]*)m")
_INCOMPLETE_CSI_RE = re.compile("\x1b(?:\\[[\x30-\x3f]*[\x20-\x2f]*)?\\Z")
_CSI_PARTIAL_RE = re.compile("[\x30-\x3f]*[\x20-\x2f]*")
_NF_RE = re.compile("[\x20-\x2f]+([\x30-\x7e])?")
_STRING_END_RE = re.compile("[\x07\x1b\x9c\n\x18\x1a]")
_PRIVATE = ("<", "=", ">", "?")
_MAX_PENDING = 256  # longest incomplete escape sequence carried over to the next feed
_MAX_PARAM = 9999  # numeric parameters are clamped like VT terminals (and pyte) do


class TerminalModel(ScreenBuffer):
    """A terminal emulator for logs: feed raw bytes, read styled lines (see module doc)."""

    def __init__(self, *, columns: int = 160, height: int = 50, wrap: bool = False,
                 max_lines: int = 100_000, max_line_chars: int = 65_536,
                 styles: bool = True) -> None:
        super().__init__(columns=columns, height=height, wrap=wrap, max_lines=max_lines,
                         max_line_chars=max_line_chars)
        self._keep_styles = styles
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._pending = ""  # an incomplete escape sequence from the end of the last feed
        self._in_string = False  # inside an OSC/DCS/... string being swallowed

    def feed(self, data: bytes) -> None:
        """Consume raw bytes (any chunking; UTF-8 and escapes may be split across calls)."""
        if data:
            text = self._decoder.decode(data)
            if text:
                self.feed_text(text)

    def finish(self) -> None:
        """End of stream: a dangling partial UTF-8 character becomes U+FFFD; an incomplete
        escape sequence is dropped."""
        text = self._decoder.decode(b"", True)
        self._pending = ""
        if text:
            self.feed_text(text)

    def feed_text(self, text: str) -> None:
        """Consume already-decoded text."""
        self._version += 1
        if self._pending:
            text = self._pending + text
            self._pending = ""
        if "\r\n" in text:
            text = text.replace("\r\n", "\n")  # exact: LF implies CR in this model
        cut = text.rfind("\x1b", -_MAX_PENDING)
        if cut >= 0 and _INCOMPLETE_CSI_RE.match(text, cut) and not self._in_string:
            self._pending = text[cut:]
            text = text[:cut]
        pos = 0
        if self._in_string:
            pos = self._skip_string(text, 0)
            if pos < 0:
                return
        elif "\x1b" in text and _NOT_STYLED_RE.search(text) is None \
                and self._feed_styled(text):
            return
        n = len(text)
        match = _TOKEN_RE.match
        keep = self._keep_styles
        transitions = SGR_TRANSITIONS
        while pos < n:
            m = match(text, pos)
            run, params, inter, final, c = m.groups()  # type: ignore[union-attr]
            pos = m.end()  # type: ignore[union-attr]
            if run:
                if "\n" in run:
                    self._print(run)
                else:
                    self._put(run)
            if final is not None:
                if final == "m" and not inter:
                    if keep:
                        key = (self._st, params)
                        self._st = transitions[key] if key in transitions else apply_sgr(*key)
                else:
                    self._csi(params, inter, final)
            elif c is None:
                continue
            elif c == "\r":
                self._col = 0
            elif c == "\x1b":
                pos = self._escape(text, pos - 1)
                if pos < 0:
                    return
            elif c == "\t":
                self._col = min((self._col // 8 + 1) * 8, self._width - 1)
            elif c == "\x08":
                self._col = max(0, min(self._col, self._width - 1) - 1)
            elif c == "\x0b" or c == "\x0c":
                self._linefeed()

    def _feed_styled(self, text: str) -> bool:
        """Fast path for text made only of printable runs, newlines and SGR sequences, written
        at the end of the last line; False (nothing changed) when it does not apply."""
        row = self._row
        if row != self._end - 1:
            return False
        self._flush()
        p = row - self._origin
        t = self._texts[p]
        if self._col != len(t) or len(t) >= self._open_after:  # long lines grow in pieces
            return False
        width = self._width
        keep = self._keep_styles
        st = self._st
        done_texts: list[str] = []
        done_runs: list[list[Run] | None] = []
        cur = [t]
        curlen = len(t)
        old = self._runs[p]
        cur_runs = list(old) if old else None
        pieces = _SGR_SPLIT_RE.split(text)  # text, params, text, params, ..., text
        transitions = SGR_TRANSITIONS
        for i in range(0, len(pieces), 2):
            if i and keep:
                key = (st, pieces[i - 1])
                st = transitions[key] if key in transitions else apply_sgr(*key)
            piece = pieces[i]
            if not piece:
                continue
            segs = piece.split("\n") if "\n" in piece else (piece,)
            for j, seg in enumerate(segs):
                if j:
                    if curlen > width:
                        return False  # needs wrapping: let the general path do it
                    done_texts.append("".join(cur))
                    done_runs.append(cur_runs)
                    cur, curlen, cur_runs = [], 0, None
                if seg:
                    k = len(seg)
                    if st is not None:
                        if cur_runs is None:
                            cur_runs = [(curlen, curlen + k, st)]
                        elif cur_runs[-1][1] == curlen and cur_runs[-1][2] == st:
                            cur_runs[-1] = (cur_runs[-1][0], curlen + k, st)
                        else:
                            cur_runs.append((curlen, curlen + k, st))
                    cur.append(seg)
                    curlen += k
        if curlen > width:
            return False
        self._st = st
        last = "".join(cur)
        if not done_texts:
            self._set_line(row, last, cur_runs)
            self._col = curlen
            return True
        self._set_line(row, done_texts[0], done_runs[0])
        self._append_lines(done_texts[1:] + [last], done_runs[1:] + [cur_runs])
        return True

    def _escape(self, text: str, i: int) -> int:
        """Handle the escape sequence at text[i] (ESC); return where to resume, -1 when done.

        An unfinished sequence at the end of `text` goes in front of what `feed_text` already
        held back: that pending tail comes right after `text` in the stream."""
        n = len(text)
        j = i + 1
        if j >= n:
            self._pending = "\x1b" + self._pending
            return -1
        c = text[j]
        if c == "[":  # a CSI that the token regex could not match: incomplete or invalid
            end = _CSI_PARTIAL_RE.match(text, j + 1).end()  # type: ignore[union-attr]
            if end >= n:
                if n - i <= _MAX_PENDING:
                    self._pending = text[i:] + self._pending
                return -1
            return end  # a byte that cannot continue a CSI aborts it
        if c in "]PX^_":
            self._in_string = True
            return self._skip_string(text, j + 1)
        if "\x20" <= c <= "\x2f":  # nF: charset designation and the like
            m = _NF_RE.match(text, j)
            assert m is not None
            if m.group(1) is None and m.end() >= n and n - i <= _MAX_PENDING:
                self._pending = text[i:] + self._pending
                return -1
            return m.end()
        if "\x30" <= c <= "\x7e":
            self._esc(c)
            return j + 1
        return j  # ESC before a control or non-ASCII character: drop the ESC

    def _skip_string(self, text: str, pos: int) -> int:
        """Swallow an OSC/DCS/APC/PM/SOS string body; return where to resume, -1 if unfinished."""
        m = _STRING_END_RE.search(text, pos)
        if m is None:
            return -1
        k = m.start()
        c = text[k]
        if c == "\x1b":
            if k + 1 >= len(text):
                self._pending = "\x1b" + self._pending
                return -1
            self._in_string = False
            return k + 2 if text[k + 1] == "\\" else k
        self._in_string = False
        return k if c == "\n" else k + 1

    def _esc(self, c: str) -> None:
        if c == "7":
            self._save_cursor()
        elif c == "8":
            self._restore_cursor()
        elif c == "M":
            self._reverse_index()
        elif c == "D":
            self._index()
        elif c == "E":
            self._linefeed()
        elif c == "c":
            self._erase_display(2)
            self._row, self._col, self._st = self._top, 0, None
            self._autowrap, self._saved = True, None

    def _csi(self, params: str, inter: str, final: str) -> None:
        if inter:
            return  # cursor style, soft reset, ...: nothing to show
        if params[:1] in _PRIVATE:
            if params[0] == "?" and final in "hl" and "7" in params[1:].split(";"):
                self._autowrap = final == "h"
            return
        nums = [min(int(x), _MAX_PARAM) if x.isdigit() else 0
                for x in params.replace(":", ";").split(";")] if params else []
        first = nums[0] if nums else 0
        count = first or 1
        width, height, top = self._width, self.height, self._top
        col = min(self._col, width - 1)
        if final == "A":
            self._row, self._col = max(top, self._row - count), col
        elif final == "B":
            self._row, self._col = min(top + height - 1, self._row + count), col
        elif final == "C":
            self._col = min(width - 1, col + count)
        elif final == "D":
            self._col = max(0, col - count)
        elif final == "E":
            self._row, self._col = min(top + height - 1, self._row + count), 0
        elif final == "F":
            self._row, self._col = max(top, self._row - count), 0
        elif final == "G" or final == "`":
            self._col = min(count, width) - 1
        elif final == "H" or final == "f":
            column = nums[1] if len(nums) > 1 and nums[1] else 1
            self._row = top + min(count, height) - 1
            self._col = min(column, width) - 1
        elif final == "d":
            self._row, self._col = top + min(count, height) - 1, col
        elif final == "J":
            self._erase_display(first)
        elif final == "K":
            self._erase_line(first)
        elif final in "XP@":
            self._edit_chars(final, count)
        elif final == "L" or final == "M":
            self._flush()
            self._col = 0
            if final == "L":
                self._insert_blank_lines(self._row, count)
            elif self._row < self._end:
                self._delete_lines(self._row, min(self._end, self._row + count))
                self._touch(self._row, self._end)
        elif final == "S":
            self._top += count
            self._row += count
            if self._end < self._top:
                self._materialise(self._top - 1)
        elif final == "T":
            self._flush()
            self._insert_blank_lines(self._top, count)
        elif final == "s":
            self._save_cursor()
        elif final == "u":
            self._restore_cursor()
        # anything else (scroll regions, reports, window ops) shows nothing
