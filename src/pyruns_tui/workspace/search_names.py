"""The names a search knows, and the one line for a term naming none of them.

`ls`/`export` (workspace/select.py) gather the names from each task they search; the Manager
(tui/models/status_names.py) keeps them per status. Both hand them to `unknown_key_lines` as a
`SearchNames`, so the same workspace and query give the same line in both.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from pyruns_tui.workspace.query import (
    METRIC_STATS,
    RUN_FIELDS,
    TASK_KEYS,
    Query,
    Term,
    metric_stat,
    param_key,
    term_text,
)


@dataclass(frozen=True)
class SearchNames:
    """The parameter and metric names of the tasks a search looks at (as the tasks spell them),
    whether one of those tasks has yet to run or end (it may log more), and whether there is any."""

    params: Collection[str]
    metrics: Collection[str]
    pending: bool
    searched: bool = True


def names_a_value(term: Term) -> bool:
    """Whether a term names a parameter or metric a task may lack (`lr:0.1`, `loss.min<0.1`,
    `param.x:1`), not a task field (`status:`) or a run's GPU accounting."""
    return term.kind == "keyed" and term.key not in TASK_KEYS or term.kind == "compare" and term.key not in RUN_FIELDS


def names_something(key: str, params: Collection[str], metrics: Collection[str]) -> bool:
    """Whether a term's key (lowercase) names a parameter, a metric or a metric's statistic among
    these lowercase names (a `param.` key: a parameter alone, or one nested under `param`): the
    one rule of which keys a search knows."""
    param = param_key(key)
    if param is not None:
        return param in params or key in params
    if key in params or key in metrics:
        return True
    split = metric_stat(key)
    return split is not None and split[0] in metrics


def unknown_key_lines(query: Query, names: SearchNames) -> list[str]:
    """The line for each term of `query` naming a value (`names_a_value`) that `names` lack
    (`names_something`): `unknown_key_message`; none when no task is searched."""
    terms = [term for term in query.terms if names_a_value(term)]
    if not terms or not names.searched:
        return []
    params = {name.lower() for name in names.params}
    metrics = {name.lower() for name in names.metrics}
    return [unknown_key_message(term, names) for term in terms if not names_something(term.key, params, metrics)]


def unknown_key_message(term: Term, names: SearchNames) -> str:
    """The one line for a term whose key names nothing in `names`: while one of the tasks may
    still log it a note, else an error naming the closest names a search takes (as `ls -c` does;
    parameters alone for a `param.` term)."""
    if names.pending:
        return (f"no task has a parameter or metric {term.key!r} yet: {term_text(term)!r} matches "
                f"{'every' if term.negate else 'no'} task until one logs it")
    import difflib

    key = param_key(term.key)
    params, metrics = names.params, names.metrics if key is None else ()
    metric_names = [f"{metric}.{stat}" for metric in metrics for stat in METRIC_STATS[1:]]
    shown = list(dict.fromkeys([*params, *metrics, *metric_names]))
    by_lower = {name.lower(): name for name in reversed(shown)}  # (the first spelling of a name)
    close = difflib.get_close_matches((key or term.key).lower(), list(by_lower), n=3)
    if close:
        hint = "closest: " + ", ".join(by_lower[name] for name in close)
    else:
        have = ", ".join(sorted({*params, *metrics})) or "none"
        hint = "they have: " + (have if len(have) <= 300 else have[:300].rsplit(", ", 1)[0] + ", ...")
    return (f"search term {term_text(term)!r} names no parameter or metric of the tasks searched ({hint}; "
            "a metric's statistic is <metric>.last/.min/.max, a parameter param.<key>)")
