"""The search language shared by `pyr-tui ls/export` and the Manager's `/` search.

Space-separated terms are AND-ed:
  word          substring of name, status, notes or any `key=value` parameter text; a word
                holding `*` or `?` is a glob one of them matches whole (`sweep_*`,
                `*_[12]-of-4`), as `rm` and `run` take names
  key:value     parameter equal to value (numbers as numbers, by `same_value`), else the metric
                of that name (its last value); `status:`, `name:`
                (substring), `notes:` (substring), `pinned:yes`, `error:` (a failed task's
                error: substring, or `oom`, `segfault`, `nccl`, `killed`)
  key>=x        comparison (>, >=, <, <=, =, !=) on a parameter or a metric (last value)
  metric.stat   (as key, with `:` or any comparison) a metric's last, min or max, as `export`
                and `ls -c` name its columns (`loss.min<0.1`); a parameter or metric of that
                exact name wins (a nested `x: {min: 1}` is the parameter `x.min`, as its column)
  -term         negation of any term
  param.key...  (with `:` or any comparison) the parameter `key` alone, never a metric nor a
                word above: `param.name:x` is the script's `name`, as export, `ls -c` and the
                Manager head a parameter whose name the language or a metric takes
Keys are dotted for nested parameters (`model.depth:18`); matching is case-insensitive.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fnmatch import translate

from pyruns_tui.errors import WorkspaceError
from pyruns_tui.params.values import as_float, same_value
from pyruns_tui.workspace.model import Status, Task
from pyruns_tui.workspace.progress_file import RunProgress

TYPE_CHECKING = False  # not `from typing`: importing typing costs a command ~4 ms
if TYPE_CHECKING:
    from typing import Any

_COMPARE = re.compile(r"^([A-Za-z_][\w.\-]*)(>=|<=|!=|==|>|<|=)(.*)$")
_KEYED = re.compile(r"^([A-Za-z_][\w.\-]*):(.*)$")
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "=": lambda a, b: a == b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


_LEAVES = frozenset({int, float, str, bool, type(None), list})  # value types that are never a Mapping


def _is_flat(config: Mapping[str, Any]) -> bool:
    # exact types first: an ABC check per value is slow
    return _LEAVES.issuperset(map(type, config.values())) or not any(isinstance(v, Mapping) for v in config.values())


def flat_view(config: Mapping[str, Any]) -> Mapping[str, Any]:
    """`flatten(config)` to read only: `config` itself when it is flat (most are; a listing of
    100,000 tasks keeps no second copy of each)."""
    return config if _is_flat(config) else flatten(config)


def flatten(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """`{"model": {"depth": 18}}` -> `{"model.depth": 18}`."""
    if not prefix and _is_flat(config):
        return dict(config)  # already flat (most configs): a copy, as built below
    flat: dict[str, Any] = {}
    for key, value in config.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, path + "."))
        else:
            flat[path] = value
    return flat


def format_value(value: Any) -> str:
    """A parameter value as the text a person would type for it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return as_float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class Term:
    """One search term."""

    kind: str  # "text" | "keyed" | "compare"
    key: str
    op: str
    value: str
    negate: bool = False


@dataclass(frozen=True, slots=True)
class TaskView:
    """What a query looks at for one task: the task, its flat params, its last metric values
    (and their (min, max), for a `loss.min` term)."""

    task: Task
    params: Mapping[str, Any]
    metrics: Mapping[str, float]
    progress: RunProgress | None = None  # of a running task, read off its output
    text: str | None = None  # search_text(task, params), when kept for many searches (the Manager)
    extremes: Mapping[str, tuple[float, float]] | None = None  # metric -> (min, max), as metrics


def metric_values_of(stats: Mapping[str, Any]) -> tuple[dict[str, float], dict[str, tuple[float, float]]]:
    """A TaskView's `metrics` and `extremes` from each metric's statistics (`MetricStats`: its
    last, min and max)."""
    return ({metric: s.last for metric, s in stats.items()},
            {metric: (s.min, s.max) for metric, s in stats.items()})


def search_text(task: Task, params: Mapping[str, Any]) -> str:
    """Everything a plain word is looked for in, lowercased: name, status, notes and each
    `key=value`, NUL-separated (a word never holds a NUL: one containing it is checked per part)."""
    parts = [task.name, task.status.value, task.notes, *(f"{k}={format_value(v)}" for k, v in params.items())]
    return "\0".join(parts).lower()


@dataclass(frozen=True)
class Query:
    """A parsed search; `Query.parse("")` matches everything."""

    terms: tuple[Term, ...]

    @classmethod
    def parse(cls, text: str) -> Query:
        try:
            words = shlex.split(text)
        except ValueError:
            words = text.split()
        terms = []
        for word in words:
            negate = word.startswith("-") and len(word) > 1
            body = word[1:] if negate else word
            compare = _COMPARE.match(body)
            keyed = _KEYED.match(body)
            if keyed and (not compare or keyed.start(2) <= compare.start(2)):
                terms.append(Term("keyed", keyed.group(1).lower(), ":", keyed.group(2).lower(), negate))
            elif compare:
                terms.append(Term("compare", compare.group(1).lower(), compare.group(2), compare.group(3), negate))
            else:
                terms.append(Term("text", "", "", body.lower(), negate))
        return cls(tuple(terms))

    def needs_metrics_with(self, params: Mapping[str, Any]) -> bool:
        """Whether deciding this query for a task with these params needs its metrics: for a
        comparison always, for `key:value` when the params lack `key` (it then names a metric);
        never for a `param.` term."""
        return any(t.kind != "text" and param_key(t.key) is None and (
            t.kind == "compare" or t.key not in TASK_KEYS and not _lookup(params, t.key)[0]) for t in self.terms)

    @property
    def needs_params(self) -> bool:
        """Whether some term looks at parameters (else a task's task_info.json alone decides)."""
        return any(t.kind != "keyed" or t.key not in TASK_KEYS for t in self.terms)

    def status_filter(self) -> Callable[[str], bool] | None:
        """What the `status:` terms ask of a status value (None: they ask nothing)."""
        terms = [(t.value, t.negate) for t in self.terms if t.kind == "keyed" and t.key == "status"]
        if not terms:
            return None
        return lambda status: all(status.startswith(value) != negate for value, negate in terms)

    def matches(self, view: TaskView) -> bool:
        return all(_match(term, view) != term.negate for term in self.terms)


def term_matches(term: Term, view: TaskView) -> bool:
    """Whether `view` satisfies the single term `term` (negation included)."""
    return _match(term, view) != term.negate


# keys of `key:value` terms answered by task_info.json alone
TASK_KEYS = frozenset({"status", "name", "notes", "pinned", "error"})
# numbers of the last run a comparison may name (`gpu_mem_peak_mb>20000`), before metrics and params
RUN_FIELDS = ("gpu_mem_peak_mb", "gpu_util_mean", "gpu_util_p95")


def run_number(task: Task, key: str) -> float | None:
    """The last run's value of one of RUN_FIELDS (None: never ran, or nothing recorded)."""
    run = task.last_run
    value = getattr(run, key) if run is not None and key in RUN_FIELDS else None
    return as_float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


# a metric's statistics a term may name (`loss.min`), as `export` and `ls -c` name its columns
METRIC_STATS: tuple[str, ...] = ("last", "min", "max")


def metric_stat(key: str) -> tuple[str, str] | None:
    """(metric, stat) of a key ending in one of METRIC_STATS (`loss.min` -> `loss`, `min`), else None."""
    metric, dot, stat = key.rpartition(".")
    return (metric, stat) if dot and metric and stat in METRIC_STATS else None


def term_text(term: Term) -> str:
    """The term as typed (lowercased where the parse lowercased it)."""
    return f"{'-' if term.negate else ''}{term.key}{term.op}{term.value}"


def _metric(view: TaskView, key: str) -> tuple[bool, Any]:
    """A metric's last value by its name, else a statistic by `metric.stat`."""
    found, value = _lookup(view.metrics, key)
    return (found, value) if found else _stat(view, key)


def _stat(view: TaskView, key: str) -> tuple[bool, Any]:
    split = metric_stat(key)
    if split is None:
        return False, None
    metric, stat = split
    if stat == "last":
        return _lookup(view.metrics, metric)
    found, pair = _lookup(view.extremes or {}, metric)
    return (True, pair[stat == "max"]) if found else (False, None)


PARAM_PREFIX = "param."  # `param.name:x`: the parameter `name`, whatever else the word means


def param_key(key: str) -> str | None:
    """The parameter a term's key addresses by its `param.` prefix (`param.name` -> `name`), None
    for a key without it."""
    return key[len(PARAM_PREFIX):] or None if key.startswith(PARAM_PREFIX) else None


def _param(params: Mapping[str, Any], key: str) -> tuple[bool, Any]:
    """A `param.` key's parameter: `param.name` is `name`, else a parameter nested under `param`
    (`{param: {name: ...}}` flattened, as before the prefix was read)."""
    found, value = _lookup(params, key[len(PARAM_PREFIX):])
    return (found, value) if found else _lookup(params, key)


def _lookup(params: Mapping[str, Any], key: str) -> tuple[bool, Any]:
    if key in params:
        return True, params[key]
    for name, value in params.items():  # keys are matched case-insensitively
        if name.lower() == key:
            return True, value
    return False, None


def is_glob(word: str) -> bool:
    """Whether a plain word is a glob: it holds `*` or `?` (then `[...]` in it is a set, as `rm`
    and `run` read names). A `[` alone keeps a word a substring: `[bold`, `=[64` find a name or a
    list parameter holding them."""
    return "*" in word or "?" in word


def word_test(word: str) -> Callable[[str], bool]:
    """What a plain (lowercased) word asks of a task's `search_text`: to hold it, or for a glob
    (`sweep_*`, `*_[12]-of-4`) that one of its parts (the name, the status, the notes, a
    `key=value`) matches it whole."""
    if not is_glob(word):
        return lambda text: word in text
    whole = re.compile(translate(word)).match
    return lambda text: any(map(whole, text.split("\0")))


def _match(term: Term, view: TaskView) -> bool:
    task = view.task
    if term.kind == "text":
        if is_glob(term.value):
            return bool(word_test(term.value)(view.text if view.text is not None else search_text(task, view.params)))
        if view.text is not None and "\0" not in term.value:
            return term.value in view.text
        if term.value in task.name.lower() or term.value in task.status.value or term.value in task.notes.lower():
            return True
        return any(term.value in f"{k}={format_value(v)}".lower() for k, v in view.params.items())
    return _decide(term, term_operand(term, view))


def term_operand(term: Term, view: TaskView) -> Any:
    """The one value a `key:value` or comparison term looks at in a task; the term's answer
    depends on it alone (`operand_matches`), so a caller holding many tasks (the Manager) may
    decide a term once per distinct operand: a sweep has a few values per parameter."""
    task = view.task
    if param_key(term.key) is not None:
        return _param(view.params, term.key)
    if term.kind == "keyed":
        if term.key == "status":
            return task.status.value
        if term.key == "name":
            return task.name
        if term.key == "notes":
            return task.notes
        if term.key == "pinned":
            return task.pinned
        if term.key == "error":
            return task.error
        found, value = _lookup(view.params, term.key)
        return (found, value) if found else _metric(view, term.key)
    if term.key in RUN_FIELDS and task.last_run is not None:
        return True, run_number(task, term.key)
    found, value = _lookup(view.metrics, term.key)
    if not found:
        found, value = _lookup(view.params, term.key)
    return (found, value) if found else _stat(view, term.key)


def operand_matches(term: Term, operand: Any) -> bool:
    """Whether a task whose `term_operand(term, ...)` is `operand` satisfies `term` (negation
    included): `term_matches(term, view)` for a keyed or comparison term."""
    return _decide(term, operand) != term.negate


def _decide(term: Term, operand: Any) -> bool:
    if term.kind == "keyed":
        if term.key == "status":
            return bool(operand.startswith(term.value))
        if term.key in ("name", "notes"):
            return term.value in operand.lower()
        if term.key == "pinned":
            return bool(operand == (term.value in ("yes", "true", "1", "y")))
        if term.key == "error":
            from pyruns_tui.logs.failure import error_matches  # rich comes with logs/: only when asked

            return error_matches(term.value, operand)
        found, value = operand
        return found and _equal(value, term.value)
    found, value = operand
    if found and term.op in ("=", "==", "!="):
        return _equal(value, term.value) == (term.op != "!=")
    wanted, actual = _number(term.value), _number(value)
    if not found or wanted is None or actual is None:
        return False
    return _OPS[term.op](actual, wanted)


def _equal(value: Any, text: str) -> bool:
    """Whether a parameter or metric value is the one typed: a number as a number, by the rule of
    `compare` and `--skip-existing` (`same_value`: 1 is 1.0, NaN is NaN); anything else as the text
    it is shown as, ignoring case."""
    wanted = _number(text)
    if wanted is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
        return same_value(value, wanted)
    return format_value(value).lower() == text.lower()


_PINNED_WORDS = ("yes", "no", "true", "false", "1", "0", "y", "n")


def parse_query(text: str) -> Query:
    """Parse a search; raises WorkspaceError for a comparison whose value is missing (or, for <,
    <=, > and >=, not a number: `lr>=abc` matched no task, silently), and for a
    `status:` or `pinned:` term no task could match (`status:`, `status:done`, `pinned:maybe` matched
    every task, or none, without a word)."""
    query = Query.parse(text)
    for term in query.terms:
        if term.kind == "compare" and not term.value:
            raise WorkspaceError(f"search term '{term.key}{term.op}' needs a value, e.g. '{term.key}{term.op}0.1'")
        if term.kind == "compare" and term.op in ("<", "<=", ">", ">=") and _number(term.value) is None:
            raise WorkspaceError(f"search term '{term.key}{term.op}{term.value}': {term.value!r} is not a number "
                                 f"({term.op} compares numbers, e.g. '{term.key}{term.op}0.1'; = and != take text too)")
        if term.kind == "keyed" and term.key == "status" and (
                not term.value or not any(status.value.startswith(term.value) for status in Status)):
            known = ", ".join(status.value for status in Status)
            raise WorkspaceError(f"search term 'status:{term.value}' names no status (statuses: {known})")
        if term.kind == "keyed" and term.key == "pinned" and term.value not in _PINNED_WORDS:
            raise WorkspaceError(f"search term 'pinned:{term.value}' needs yes or no")
    return query
