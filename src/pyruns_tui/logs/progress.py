"""Progress read off a task's screen: what a person sees in its progress bars and counters.

`read_progress(lines)` takes the final rendered lines of the terminal model (the screen, after
`\\r` redraws and cursor-up nested bars were applied) and returns the run's `Progress`, or None
when nothing on them looks like progress. Recognised on one line (`find_indicator`):

* tqdm bars (`desc:  52%|████▍     | 812/1563 [00:01<00:01, 399.38it/s, loss=0.1]`, `s/it`
  rates, unit-scaled counts like `1.2k/5.0k`, bars without a total), rich bars (`━━╺━━  40%
  0:00:01`), Keras progbars (`812/1563 [===>....] - ETA: 7s`, `10ms/step`);
* plain counters `epoch 3/10`, `step 812/1563`, `[3/10]` (not scores: `Accuracy: 9843/10000`),
  and a lone percentage `45%`, after a label too (`Downloading: 45%`), but not one named like a
  metric (`acc: 91%`: `output_metrics.names_a_metric`, the rule that makes it a metric) nor a
  value printed as `name=45%`.

An evaluation pass beside training is no part of its progress: while any other indicator is on
the screen, those whose description names one (`Validation DataLoader 0`, `val`, `eval`, `Test`,
`Sanity Checking`: `_EVAL_RE`) are left out. PyTorch Lightning draws its `Validation DataLoader 0`
bar below the epoch's bar: the progress jumped to the validation's 3/8, or added it to the
epoch's (Lightning 2.0's epoch bar counts the validation batches itself).

Several percentage-only bars drawn as one block (rich's tasks, redrawn in place; no counts, so
they cannot be combined): the unfinished one whose description names the whole run (`Overall`,
`Total`) counts, else the first unfinished one of the block (`_leading_bar`): `Overall 30%` above
or below `Epoch 3 60%` is 30 %, labelled with both.

Nested progress: the innermost indicator is the last one on the screen; the outermost is the
earliest still-unfinished indicator of another kind (kind = its description without digits and
its total; not a loop that ran and ended, `_ended_loops`), so `epoch 3/10` printed above a batch bar, or tqdm's outer bar above its inner bar,
both combine: progress = (outer steps done + inner fraction) / outer total. A printed counter
names the step in progress (`epoch 3/10`: 2 done), a bar the steps done; but a kind of printed
counter seen at `0/N` counts from 0 (`counted_from_zero`): pytorch/examples dcgan's `[3/25]` is its
fourth epoch, 3 done, and it ends at `[24/25]`.
A printed counter alone, with nothing after it on its line (a heading: `Epoch 3/10` before Keras draws
the epoch's bar), names the step in progress too; followed by values (`epoch 3/10 loss=0.2`), the step done.
A counter in a bar's description (`epoch 1/2:  38%|███▊  | 15/40`), or before the last counter of a
line without a bar (`Epoch 2/3 step 15/100`), is an outer indicator of its own.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from pyruns_tui.logs.output_metrics import names_a_metric

_SCALE = {"": 1.0, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15}
_NUM = r"\d+(?:\.\d+)?"
_N_OF_M_RE = re.compile(rf"(?<![\w./-])({_NUM})([kMGTP]?)\s?/\s?({_NUM})([kMGTP]?)(?![\w/]|\.\d)")
_PERCENT_RE = re.compile(rf"(?<![\w.])({_NUM})\s?%")
# tqdm's ascii bars end in a digit, an eighth of a cell: `|#######6    |`
_BAR_RE = re.compile(r"[█▏▎▍▌▋▊▉━╸╺]{2,}|\|[#\s█▏▎▍▌▋▊▉]*\||\|#*[1-9] *\||\[[=>.]{3,}\]|[━]")
_RATE_RE = re.compile(rf"(?<![\w.])(\?|{_NUM})\s?([kMGTP]?)([A-Za-z]*)/s\b")
_PERIOD_RE = re.compile(rf"(?<![\w.])({_NUM})(s|ms|us|µs)/([A-Za-z]+)\b")
_TQDM_TIMES_RE = re.compile(r"\[((?:\d+:)?\d+:\d\d)(?:<((?:\d+:)?\d+:\d\d|\?))?")
_ETA_RE = re.compile(r"\bETA:?\s*((?:\d+:)?\d+:\d\d|\d+(?:\.\d+)?\s?[smhd])", re.IGNORECASE)
_CLOCK_RE = re.compile(r"(?<![\d:])(\d+:\d\d:\d\d|-:--:--)(?![\d:])")
_KERAS3_ETA_RE = re.compile(r"\s(\d+)(s|m|h)\s+\d+(?:\.\d+)?(?:s|ms|us|µs)/step\b")
_WORD_BEFORE_RE = re.compile(r"([A-Za-z_][\w-]*)\s*[:#]?\s*\[?\s*$")
_ZERO_COUNT_RE = re.compile(r"(?<![\w./-])0\s?/\s?\d")  # a line that may hold a counter at 0
_SCORE_WORD_RE = re.compile(r"acc|accuracy|correct|top-?\d+|precision|recall|hits", re.IGNORECASE)
_ALNUM_RE = re.compile(r"[^\W_]")
# descriptions (`Indicator.key`, lowered) of an evaluation pass: Lightning's `Validation DataLoader 0`,
# `Sanity Checking DataLoader 0`, `Testing DataLoader 0`; tqdm's `desc="val"`, `"eval"`; imagenet's `Test: [10/196]`
_EVAL_RE = re.compile(r"(?:val|valid|validation|validating|validate|eval|evaluation|evaluating|evaluate"
                      r"|test|testing|sanity check|sanity checking)\b")
# descriptions (lowered) of the task over the whole run, in a block of rich tasks: `Overall`, `Total`
_WHOLE_RE = re.compile(r"(?:overall|total)\b")
_Counter = tuple[float, float, int, str]  # n, total, where it starts, its text
_UNIT_S = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "m": 60.0, "h": 3600.0, "d": 86400.0}


@dataclass(frozen=True)
class Indicator:
    """One progress indicator recognised on one line."""

    line: int  # index in the lines given
    label: str  # e.g. `epoch 3/10`, `train 812/1563`, `45%`
    key: str  # what makes two indicators the same series: description without digits, total
    fraction: float
    n: float | None
    total: float | None
    is_bar: bool  # a drawn bar (counts steps done) rather than a printed counter (step in progress)
    rate: float | None = None  # items per second
    elapsed_s: float | None = None
    remaining_s: float | None = None
    from_zero: bool = False  # a printed counter of a kind seen at `0/N`: it counts from 0
    heading: bool = False  # a printed counter with nothing after it on its line (`Epoch 3/10`)

    @property
    def done(self) -> float:
        """Steps finished: a printed `epoch 3/10` is in its third epoch (2 done); counted from 0,
        `[3/25]` is in its fourth (3 done)."""
        n = self.n or 0.0
        return n if self.is_bar or self.from_zero else max(n - 1.0, 0.0)


@dataclass(frozen=True)
class Progress:
    """How far one run is, as read off its screen."""

    progress: float  # 0..1
    label: str  # `epoch 3/10 · 812/1563`
    rate: float | None = None  # items per second of the innermost indicator
    eta_s: float | None = None
    elapsed_s: float | None = None


def parse_duration(text: str) -> float | None:
    """Seconds of `1:02:03`, `02:03`, `7s`, `1.5m`; None for `?`, `-:--:--` and the like."""
    text = text.strip()
    if ":" in text:
        try:
            parts = [int(p) for p in text.split(":")]
        except ValueError:
            return None
        seconds = 0
        for part in parts:
            seconds = seconds * 60 + part
        return float(seconds)
    match = re.fullmatch(rf"({_NUM})\s?([smhd])", text)
    return float(match[1]) * _UNIT_S[match[2]] if match else None


def find_indicator(line: str, index: int = 0) -> Indicator | None:
    """The progress indicator on `line` (its innermost one), or None."""
    found = _line_indicators(line, index)
    return found[-1] if found else None


def _line_indicators(line: str, index: int) -> list[Indicator]:
    """The indicators of one line, outermost first: its printed counters outside its innermost
    indicator (in a bar's own description, or before the last counter of a line without a bar),
    then that one. The line is searched once for each kind of thing."""
    bar = _BAR_RE.search(line)
    # a drawn bar counts its own steps, after it (`epoch 1/2:  38%|███▊  | 15/40`); before it, only
    # without one after (Keras' `5/20 [=====>....]`); without a bar, the last counter of the line is
    # the innermost (`Epoch 2/3 step 15/100`: the step; the epoch is an outer indicator)
    counters = _counters(line, drawn=bar is not None)
    after_bar = [c for c in counters if bar is not None and c[2] >= bar.end()]
    if after_bar:
        counter: _Counter | None = after_bar[0]
    elif counters:
        counter = counters[0] if bar is not None else counters[-1]
    else:
        counter = None
    percent = _PERCENT_RE.search(line)
    n: float | None
    total: float | None
    if counter is not None:
        n, total, start, count_text = counter
        fraction = n / total
    elif percent is not None and bar is not None:
        n = total = None
        fraction = min(float(percent[1]) / 100.0, 1.0)
        start = percent.start()
        count_text = percent[0]
    elif percent is not None:
        only = _percent_only(line, index, percent)
        return [only] if only is not None else []
    else:
        return []
    if bar is None:
        outer = counters[:-1]
    elif after_bar:
        outer = [c for c in counters if c[2] < min(bar.start(), percent.start() if percent else bar.start())]
    else:
        outer = []
    # where the indicator starts: its description before, its times after
    first = min(start, bar.start(), percent.start() if percent else start) if bar is not None else start
    if bar is not None:
        desc = line[:first].strip().rstrip(":").strip()
    else:
        word = _WORD_BEFORE_RE.search(line[:start])
        desc = word[1] if word else ""
    if outer and bar is not None:  # the bar's label without the counter said first
        label = count_text
    else:
        label = f"{desc} {count_text}".strip() if len(desc) <= 24 else f"{desc[:23]}… {count_text}"
    key = re.sub(r"\d+", "", desc).strip().lower() + "/" + (f"{total:g}" if total else "%")
    elapsed, remaining = _times(line[first:], n, total)
    heading = bar is None and counter is not None and _ALNUM_RE.search(
        line, _N_OF_M_RE.match(line, start).end()) is None  # type: ignore[union-attr]
    inner = Indicator(index, label, key, fraction, n, total, bar is not None, _rate(line), elapsed, remaining,
                      heading=heading)
    return [*(_printed_counter(line, index, c) for c in outer), inner]


def _counters(line: str, drawn: bool) -> list[_Counter]:
    """Every `n/total` counter of the line: (n, total, where it starts, its text without spaces:
    `200/2983` for word_language_model's `200/ 2983 batches`), but a score such as mnist's
    `Accuracy: 9843/10000` (named by `_SCORE_WORD_RE`), which is not how far anything went, and,
    on a line without a drawn bar, two numbers with decimals: dcgan's `D(G(z)): 0.4123 / 0.3011`
    is two values, not a count (tqdm's `3.5/10.5` of a float total stands beside its bar)."""
    found = []
    for match in _N_OF_M_RE.finditer(line):
        if not drawn and "." in match[1] + match[3] and not (match[2] or match[4]):
            continue
        n = float(match[1]) * _SCALE[match[2]]
        total = float(match[3]) * _SCALE[match[4]]
        if 0 < total and n <= total:
            word = _WORD_BEFORE_RE.search(line[: match.start()])
            if word is None or not _SCORE_WORD_RE.fullmatch(word[1]):
                found.append((n, total, match.start(), "".join(match[0].split())))
    return found


def _percent_only(line: str, index: int, percent: re.Match[str]) -> Indicator | None:
    before = line[: percent.start()].rstrip()
    if before.endswith("="):
        return None  # `dropout=45%`: a value printed as key=value, not how far anything went
    value = float(percent[1])
    if value > 100:
        return None
    word = _WORD_BEFORE_RE.search(before)
    desc = word[1] if word else ""
    if desc and names_a_metric(desc):
        return None  # `acc: 91%`, `Test accuracy 98%`: a metric (output_metrics' `percent` rule), not progress
    key = re.sub(r"\d+", "", desc).lower() + "/%"
    return Indicator(index, f"{desc} {percent[0]}".strip(), key, value / 100.0, None, None, False)


def _rate(line: str) -> float | None:
    rate = _RATE_RE.search(line)
    if rate:
        return None if rate[1] == "?" else float(rate[1]) * _SCALE[rate[2]]
    period = _PERIOD_RE.search(line)
    if period:
        seconds = float(period[1]) * _UNIT_S[period[2]]
        return 1.0 / seconds if seconds > 0 else None
    return None


def _times(line: str, n: float | None, total: float | None) -> tuple[float | None, float | None]:
    """(elapsed, remaining) seconds shown on `line`, the part of a line from its indicator on: the
    times of a bar or counter come after it (tqdm's `[00:01<00:02`, rich's last clock, `ETA: 7s`),
    and a clock before it is the time of day a logger stamps the line with (`19:00:02 INFO step
    30/100` read as 19 hours left)."""
    tqdm = _TQDM_TIMES_RE.search(line)
    if tqdm:
        remaining = parse_duration(tqdm[2]) if tqdm[2] else None
        return parse_duration(tqdm[1]), remaining
    eta = _ETA_RE.search(line)
    if eta:
        return None, parse_duration(eta[1])
    if n is not None and total is not None and n < total:
        keras3 = _KERAS3_ETA_RE.search(line)
        if keras3:
            return None, float(keras3[1]) * _UNIT_S[keras3[2]]
    clocks = _CLOCK_RE.findall(line)
    if clocks:  # rich: the last clock of the default columns is the time remaining
        return None, parse_duration(clocks[-1])
    return None, None


def find_indicators(lines: Sequence[str]) -> list[Indicator]:
    """Every indicator on `lines`, in line order: a line with counters outside its innermost one
    (tqdm's `desc=f"epoch {e}/{n}"`, `Epoch 2/3 step 15/100`) gives those first (`_line_indicators`)."""
    found: list[Indicator] = []
    for index, line in enumerate(lines):
        if line:
            found += _line_indicators(line, index)
    return found


def _printed_counter(line: str, index: int, counter: _Counter) -> Indicator:
    """A printed counter of `line` (`epoch 1/2`) as an indicator of its own."""
    n, total, start, text = counter
    word = _WORD_BEFORE_RE.search(line[:start])
    desc = word[1] if word else ""
    label = f"{desc} {text}".strip()
    return Indicator(index, label, re.sub(r"\d+", "", desc).lower() + f"/{total:g}", n / total, n, total, False)


def counted_from_zero(line: str) -> set[str]:
    """The kinds (`Indicator.key`) of the printed counters of `line` at `0/N`: dcgan's
    `[0/25][0/782]` says both its loops count from 0. A bar's own count is never one (a bar counts
    steps done from 0 anyway)."""
    if not _ZERO_COUNT_RE.search(line):
        return set()
    return _zero_kinds(_line_indicators(line, 0))


def _zero_kinds(indicators: list[Indicator]) -> set[str]:
    """The kinds of the printed counters (not bars) among `indicators` that are at 0."""
    return {i.key for i in indicators if not i.is_bar and i.n == 0}


def read_progress(lines: Sequence[str], run_elapsed_s: float | None = None,
                  from_zero: Collection[str] = ()) -> Progress | None:
    """The run's progress from its screen lines (see module doc), or None.

    `run_elapsed_s` (how long the run has been going) estimates the ETA when no indicator
    shows a remaining time or a rate. `from_zero`: kinds of printed counters seen at `0/N` in
    lines no longer given (scrolled off; `counted_from_zero`), besides those seen on `lines`.
    """
    indicators = find_indicators(lines)
    if not indicators:
        return None
    training = [i for i in indicators if not _EVAL_RE.match(i.key)]
    if training:  # an evaluation pass beside training: the training's progress goes on
        indicators = training
    zero = _zero_kinds(indicators).union(from_zero)
    if zero:
        indicators = [replace(i, from_zero=True) if i.key in zero and not i.is_bar else i for i in indicators]
    inner, beside = _leading_bar(indicators)
    outer = _outermost(indicators, inner)
    eta = inner.remaining_s
    if inner.rate and inner.total is not None and inner.n is not None:
        eta = (inner.total - inner.n) / inner.rate  # finer than the whole seconds shown
    if outer is None:  # a heading begins its step: Keras' `Epoch 2/3` before its bar is drawn is 1/3
        progress = inner.done / inner.total if inner.heading and inner.total else inner.fraction
        label = inner.label
    else:
        assert outer.total is not None
        progress = min((outer.done + inner.fraction) / outer.total, 1.0)
        label = f"{outer.label} · {inner.label}"
        eta = _nested_eta(outer, inner, eta, _loop_seconds(outer, inner, indicators))
    if beside is not inner:
        label = f"{label} · {beside.label}"
    if eta is None and run_elapsed_s is not None and 0 < progress:
        eta = run_elapsed_s * (1.0 - progress) / progress
    return Progress(progress, label, inner.rate, None if eta is None else round(eta, 3), inner.elapsed_s)


def _leading_bar(indicators: list[Indicator]) -> tuple[Indicator, Indicator]:
    """(the indicator that counts of the last one's block, the one named after it in the label).
    The last indicator, or, when it is a percentage-only bar (rich's default columns: no counts
    to combine), one of the unfinished percentage-only bars of the lines just above it and it
    (rich redraws its tasks as one block, in the order they were added): the one whose
    description names the whole run (`Overall`, `Total`), else the first. `Overall 30%` above
    `Epoch 3 60%` is 30 %, and so is `Overall 30%` below it (a task added after the epoch's),
    both labelled `Overall 30% · Epoch 3 60%`."""
    last = indicators[-1]
    if not last.is_bar or last.total is not None:
        return last, last
    block = [last]
    for indicator in reversed(indicators[:-1]):
        if indicator.line != block[-1].line - 1 or not indicator.is_bar or indicator.total is not None:
            break
        block.append(indicator)
    unfinished = [i for i in reversed(block) if i.fraction < 1.0]  # top down
    if not unfinished:
        return last, last
    lead = next((i for i in unfinished if _WHOLE_RE.match(i.key)), unfinished[0])
    beside = next((i for i in reversed(unfinished) if i is not lead), last)  # the innermost other
    return lead, beside


def _outermost(indicators: list[Indicator], inner: Indicator) -> Indicator | None:
    """The earliest unfinished indicator of another kind than `inner`, latest state of each kind,
    but a loop that ran and ended (`_ended_loops`)."""
    latest: dict[str, Indicator] = {}
    for indicator in indicators:
        latest[indicator.key] = indicator
    ended = _ended_loops(indicators, inner.key)
    candidates = [i for i in latest.values()
                  if i.key != inner.key and i.key not in ended and i.total and i.done < i.total]
    return min(candidates, key=lambda i: i.line) if candidates else None


def _ended_loops(indicators: list[Indicator], inner_key: str) -> set[str]:
    """Kinds whose last states came one after another, as a loop's do, not counting one by one,
    and that are not the innermost any more: a loop that ran and ended, not an outer one (a
    validation loop between two epochs, printed every 10 batches: pytorch/examples imagenet's
    `Test: [191/196]`, which never shows its total, made the next epoch's progress 97 %). An outer
    counter printed alone (`epoch 3/10` above a bar that is cleared, or again in an epoch's
    summary line) repeats or counts one by one."""
    ended: set[str] = set()
    seen: set[str] = set()  # kinds whose last run was looked at
    end = len(indicators) - 1
    while end >= 0:
        key = indicators[end].key
        start = end
        while start > 0 and indicators[start - 1].key == key:
            start -= 1
        if key != inner_key and key not in seen and end > start:
            run = indicators[start:end + 1]
            if any((b.n or 0.0) - (a.n or 0.0) not in (0.0, 1.0) for a, b in zip(run, run[1:])):
                ended.add(key)
        seen.add(key)
        end = start - 1
    return ended


TRUST_STEPS = 20  # inner steps after which the rate of the loop in progress counts as much as the loops before


def _loop_seconds(outer: Indicator, inner: Indicator, indicators: list[Indicator]) -> float | None:
    """How long one outer step took, measured over the steps already done: the outer bar's own
    rate (tqdm's outer bar: the work between inner loops included), else the mean length of the
    finished inner loops of the same kind still on the screen (each tqdm bar of an epoch that
    stayed: the larger of its elapsed time, shown in whole seconds, and its count over its rate);
    None when neither is shown (the loop in progress is the first)."""
    if outer.is_bar and outer.rate:
        return 1.0 / outer.rate
    lengths = []
    for indicator in indicators[:-1]:
        if indicator.key != inner.key or not indicator.is_bar or indicator.fraction < 1.0 or indicator is inner:
            continue
        by_rate = indicator.total / indicator.rate if indicator.total and indicator.rate else 0.0
        length = max(indicator.elapsed_s or 0.0, by_rate)
        if length > 0:
            lengths.append(length)
    return sum(lengths) / len(lengths) if lengths else None


def _nested_eta(outer: Indicator, inner: Indicator, inner_eta: float | None,
                loop_s: float | None = None) -> float | None:
    """Time left: the rest of this inner loop plus the outer steps after it, each one inner loop
    long; or the outer bar's own estimate when the inner loop's length is unknown.

    `loop_s` (`_loop_seconds`: one outer step as measured over those done) is what each outer step
    after this one takes, and what the rest of this loop takes while few of its steps were seen:
    the rate of a loop's first steps is no measure of it (tqdm's rate after two or three quick,
    prefetched batches put a run due in 18 s at 9 s); the loop's own rate counts in as its steps
    come (`TRUST_STEPS`)."""
    assert outer.total is not None
    steps_after = max(outer.total - outer.done - 1.0, 0.0)
    if loop_s is not None:
        rest = (1.0 - min(inner.fraction, 1.0)) * loop_s
        if inner_eta is not None:
            trust = inner.n / (inner.n + TRUST_STEPS) if inner.n is not None else inner.fraction
            rest = trust * inner_eta + (1.0 - trust) * rest
        return rest + steps_after * loop_s
    if inner_eta is not None and inner.rate and inner.total:
        return inner_eta + steps_after * inner.total / inner.rate
    if inner_eta is not None and 0 < inner.fraction < 1:
        return inner_eta + steps_after * inner_eta / (1.0 - inner.fraction)
    return outer.remaining_s
