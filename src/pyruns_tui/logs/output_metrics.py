"""Metrics read from a task's output lines: `loss=0.123`, `val_acc 0.91`, `{'loss': 0.12}`...

A rule is a named regex. A rule with a `name` group takes the metric's name from the text; one
without names its metric after the rule. The value is the `value` group (else group 1). The
default rules (`DEFAULT_RULES`) catch `name=number` and `name: number` (Keras' `- loss: 0.1234`,
Lightning's postfix `loss=0.123, v_num=1` where `v_num` is skipped, as is a seed: `Random Seed: 7078`),
quoted dict keys (`'loss': 0.12`), and `name number` for names that look like metrics (`val_acc 0.91`).
A number followed by `/`, `:` or a letter is not a value (`ETA: 7s`), nor one followed by `%` (or
` %`) but a metric's percentage (`Acc: 94.531%` is 94.531; not `epochs:  30%`, nor a tqdm bar's
`acc:  30%|`): a percentage is a metric only when its name holds a metric word as a whole part
(`names_a_metric`: `val_acc`, `top1_acc`, `Acc`), never a status line's (`Downloading: 45 %`,
`val: 45%`, `Accumulating: 45%`, `Mapping: 45%`), which is progress or nothing (`logs.progress`).
Digit groups with thousands separators are one number (`Num examples = 25,000` is 25000,
`loss = 1,234.5` is 1234.5); a number followed by a comma and a digit that is no such group
(`ids=1,2,3`, `betas=0.9,0.999`) is not a value.

A line whose every metric is one of the task's parameters printed with its own value
(`Namespace(hidden=128, lr=0.001)`, `hidden=128 batch_size=128`) is the script echoing its
config, not a metric (`is_config_echo`).

A line with metrics that names its step (`step=812`, `step 812`, `global_step: 1200`,
`iter 300`, `Iteration 300:`; any case; a whole number, `12,000` too, not a counter of a total:
`step 7/10`, `Step 100 / 1000`, `step 7 of 10` and tqdm's restart every epoch) gives that row's
step (`row_step`), an int, instead of a metric. With several on one line the first of
`STEP_KEYS` wins (`global_step` before `step`, which scripts printing both count within an
epoch); the others stay metrics, but one holding the same count is dropped. An epoch is no step: rows naming only an epoch are placed at their row. A metric
named like a row field (`t`, `stage`, `source`, a `step` that is no whole number) is kept with
`_` added (`t_`), never dropped or written over the row's own field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pyruns_tui.contracts import RESERVED_KEYS
from pyruns_tui.params.values import as_float

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from typing import Any

_GROUPED = r"\d{1,3}(?:,\d{3})+"  # thousands separators: 25,000 and 11,689,512
_NUMBER = rf"[-+]?(?:\d+\.\d*|\.\d+|{_GROUPED}(?:\.\d*)?|\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)\b"
_END = r"(?![\w%/:]|\s+%|[.,]\d)"  # (`45 %` is a percentage: the `percent` rule's, or none)
_GROUPED_NUMBER = re.compile(rf"[-+]?{_GROUPED}(?:\.\d*)?(?:[eE][-+]?\d+)?")
_METRIC_WORDS = r"loss|acc|accuracy|err|error|f1|auc|ppl|perplexity|bleu|score|reward|mse|mae|rmse|iou|map|precision|recall|lr"
# a name holding a metric word as a whole part, not followed by a letter (`val_acc`, `top1_acc`,
# `trainloss`, `mAP50`): not a word that only holds its letters (`Accumulating`, `Mapping`,
# `Transferring`: a status line's `Mapping: 45%` was a metric `Mapping`)
_METRIC_NAME = rf"(?:[A-Za-z_]\w*)?(?:{_METRIC_WORDS})(?![a-z])\w*"
# names that are no measurement: Lightning's `v_num`, a seed (dcgan's `Random Seed:  7078`, `seed=42`,
# `manualSeed`: one id, charted as a metric of one point, the first chart of every dcgan run)
_NO_METRIC = r"(?!v_num\b)(?![\w./-]*seed\b)"
DEFAULT_RULES: dict[str, str] = {
    "key_value": rf"(?<![\w.'\"-]){_NO_METRIC}(?P<name>[A-Za-z_][\w./-]*)\s*[=:]\s*(?P<value>{_NUMBER}){_END}",
    "dict": rf"['\"]{_NO_METRIC}(?P<name>[A-Za-z_][\w./-]*)['\"]\s*:\s*(?P<value>{_NUMBER}){_END}",
    "spaced": rf"(?<![\w.])(?P<name>{_METRIC_NAME})\s+(?P<value>[-+]?(?:\d*\.\d+(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+|{_GROUPED}\.\d+)){_END}",
    # kuangliu/pytorch-cifar's `Acc: 94.531% (3630/3840)`: a percentage named like a metric, its
    # number as printed; not a tqdm description's (`acc:  30%|███`)
    "percent": rf"(?<![\w.'\"-])(?P<name>{_METRIC_NAME})\s*[=:]\s*(?P<value>[-+]?(?:\d+\.\d*|\.\d+|\d+))\s?%(?!\s*\|)",
}


_METRIC_NAME_RE = re.compile(_METRIC_NAME, re.IGNORECASE)


def names_a_metric(name: str) -> bool:
    """Whether `name` is named like a metric (`_METRIC_NAME`): its percentage (`acc: 91%`) is a
    value of the `percent` rule, not progress (`logs.progress` asks here: one rule for both)."""
    return _METRIC_NAME_RE.fullmatch(name) is not None


# keys naming a line's step, first wins; a step is a whole number (the reader's bound: a float x holds it)
# (`global_step` first: a script printing both counts `step` within an epoch; no `it`: no tool
# prints `it=N`, and `(it: 5)` or `3.2 it/s` are no steps)
STEP_KEYS = ("global_step", "step", "iteration", "iter")
_STEP_RANK = {key: rank for rank, key in enumerate(STEP_KEYS)}
_MAX_STEP = 2**53
# matched on the lowered line, no lookbehind (a literal start lets `re` skip ahead fast): what
# precedes the key is checked after (`_NOT_BEFORE`)
_STEP = re.compile(
    r"(?P<key>global_step|step|iteration|iter)['\"]?"
    rf"(?:\s*[=:]\s*|\s+)(?P<value>{_GROUPED}|\d+)(?![\w%/]|[.,]\d|:\S|\s*/\s*\d|\s+of\s+\d|-\d)"
)  # (not a counter of a total: `step 7/10`, `Step 100 / 1000`, `step 7 of 10`; nor a date: `step 2023-01-01`)
_QUOTES = ("'", '"')
_NOT_BEFORE = frozenset("_.'\"-/")  # nor a letter or digit: a key starts a word (`substep 5`, `s/iter 3` are none)


class RuleError(ValueError):
    """A rule that is not a usable regex (the message names the rule)."""


@dataclass(frozen=True)
class _Rule:
    """A compiled rule: its name, regex, whether the metric's name comes from the text, and the
    group holding the value."""

    name: str
    regex: re.Pattern[str]
    named: bool  # the metric's name comes from the text
    value_group: str | int


def compile_rule(name: str, pattern: str) -> _Rule:
    """One rule, checked: a valid regex with a value group (or at least one group)."""
    try:
        regex = re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise RuleError(f"output_metrics rule '{name}' is not a valid regex: {exc}") from exc
    groups = regex.groupindex
    if "value" in groups:
        value_group: str | int = "value"
    elif regex.groups >= 1:
        value_group = 1
    else:
        raise RuleError(f"output_metrics rule '{name}' needs a group for the value, e.g. (?P<value>[0-9.]+)")
    return _Rule(name, regex, "name" in groups, value_group)


class MetricRules:
    """A set of compiled rules; `scan(line)` returns the metrics found on one line."""

    def __init__(self, rules: Iterable[tuple[str, str]]) -> None:
        self.rules = [compile_rule(name, pattern) for name, pattern in rules]

    def __bool__(self) -> bool:
        return bool(self.rules)

    def scan(self, line: str) -> dict[str, float]:
        """`{metric: value}` of `line`; the first rule (and match) naming a metric wins."""
        found: dict[str, float] = {}
        for rule in self.rules:
            for match in rule.regex.finditer(line):
                name = match["name"] if rule.named else rule.name
                if not name or name in found:
                    continue
                value = _number(match[rule.value_group])
                if value is not None:
                    found[name] = value
                if not rule.named:
                    break
        return found


def row_step(line: str, found: dict[str, float]) -> int | None:
    """The step `line` names (see module doc), taken out of `found` (its metrics, changed in
    place); a metric named like a row field is renamed with `_` added. None: no step."""
    rank = len(STEP_KEYS)  # of the best step key seen yet
    step = name = None
    for metric, value in found.items():
        key_rank = _STEP_RANK.get(metric.lower(), rank)
        if key_rank < rank and value.is_integer() and 0 <= value <= _MAX_STEP:
            rank, step, name = key_rank, int(value), metric
    lowered = line.lower() if rank else ""  # `step 812`, `iter 300`: no metric rule reads those
    if "st" in lowered or "it" in lowered:  # (every key holds one: most lines skip the regex)
        for match in _STEP.finditer(lowered):
            key_rank = _STEP_RANK[match[1]]
            if key_rank >= rank:
                continue
            start = match.start()
            before = lowered[start - 1] if start else ""
            if before in _QUOTES:  # `'step': 5`: what precedes the quote
                before = lowered[start - 2] if start > 1 else ""
            if before and (before.isalnum() or before in _NOT_BEFORE):
                continue
            digits = match[2]
            number = int(digits.replace(",", "") if "," in digits else digits)
            if number <= _MAX_STEP:
                rank, step, name = key_rank, number, None
    if name is not None:
        del found[name]
    if step is not None:  # the same count under another step key (`global step 1000: ... global_step = 1000`)
        for metric in [m for m, v in found.items() if m.lower() in _STEP_RANK and v == step]:
            del found[metric]
    if not RESERVED_KEYS.isdisjoint(found):
        for metric in [metric for metric in found if metric in RESERVED_KEYS]:
            renamed = metric + "_"
            while renamed in found:
                renamed += "_"
            found[renamed] = found.pop(metric)
    return step


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    if "," in text:  # digit groups are joined (`1,234.5`); any other comma is no number
        text = text.strip()
        if not _GROUPED_NUMBER.fullmatch(text):
            return None
        text = text.replace(",", "")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if not math.isinf(value) or text.strip().lstrip("+-").lower() == "inf" else None


def param_values(flat: Mapping[str, Any]) -> dict[str, frozenset[float]]:
    """The numbers a task's parameters hold (`flat`: dotted names, as `workspace.query.flatten`
    gives), by lowercased name and by the name's last part (`model.hidden` is `hidden` too)."""
    values: dict[str, set[float]] = {}
    for name, value in flat.items():
        number = _param_number(value)
        if number is None:
            continue
        lowered = name.lower()
        for key in {lowered, lowered.rpartition(".")[2]}:
            values.setdefault(key, set()).add(number)
    return {key: frozenset(numbers) for key, numbers in values.items()}


def is_config_echo(found: Mapping[str, float], params: Mapping[str, frozenset[float]]) -> bool:
    """Whether the metrics `found` on one line are all parameters printed with their own values."""
    return bool(found) and all(value in params.get(name.lower(), ()) for name, value in found.items())


def _param_number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None  # (a flag, a list, a mapping: no number a line could echo)
    number = _number(value) if isinstance(value, str) else as_float(value)
    return number if number is not None and math.isfinite(number) else None
