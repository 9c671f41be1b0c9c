from __future__ import annotations

import pytest

from pyruns_tui.errors import WorkspaceError
from pyruns_tui.workspace.model import Status, Task
from pyruns_tui.workspace.query import Query, TaskView, flatten, parse_query

VIEWS = [
    TaskView(Task(name="resnet_lr1", status=Status.COMPLETED, notes="baseline"),
             {"lr": 0.1, "model.depth": 18, "opt": "adam"}, {"loss": 0.25}),
    TaskView(Task(name="resnet_lr2", status=Status.FAILED), {"lr": 0.01, "model.depth": 34, "opt": "sgd"},
             {"loss": 0.5}),
    TaskView(Task(name="vit_small", status=Status.RUNNING, pinned=True), {"lr": 0.001, "model.depth": 12,
             "opt": "adam"}, {}),
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["resnet_lr1", "resnet_lr2", "vit_small"]),
        ("resnet", ["resnet_lr1", "resnet_lr2"]),
        ("resnet adam", ["resnet_lr1"]),
        ("status:failed", ["resnet_lr2"]),
        ("status:run", ["vit_small"]),
        ("lr:0.01", ["resnet_lr2"]),
        ("lr:1e-2", ["resnet_lr2"]),
        ("model.depth:18", ["resnet_lr1"]),
        ("lr>=0.01", ["resnet_lr1", "resnet_lr2"]),
        ("lr<0.01", ["vit_small"]),
        ("loss<0.3", ["resnet_lr1"]),
        ("loss>0", ["resnet_lr1", "resnet_lr2"]),
        ("opt!=adam", ["resnet_lr2"]),
        ("-resnet", ["vit_small"]),
        ("baseline", ["resnet_lr1"]),
        ("pinned:yes", ["vit_small"]),
        ("opt=sgd", ["resnet_lr2"]),
        ("OPT:ADAM status:completed", ["resnet_lr1"]),
        ("nosuchkey:1", []),
        # a word with *, ? or [ is a glob that one part (name, status, notes, key=value) matches whole
        ("resnet_*", ["resnet_lr1", "resnet_lr2"]),
        ("resnet_lr[!1]*", ["resnet_lr2"]),
        ("resnet_lr[!1]", []),  # (no * nor ?: a substring, as `[bold` finds odd[bold])
        ("*lr?", ["resnet_lr1", "resnet_lr2"]),
        ("*net", []),
        ("-resnet_*", ["vit_small"]),
        ("base*", ["resnet_lr1"]),
        ("fail??", ["resnet_lr2"]),
        ("*=adam", ["resnet_lr1", "vit_small"]),
    ],
)
def test_query_semantics(query: str, expected: list[str]) -> None:
    q = parse_query(query)
    assert [v.task.name for v in VIEWS if q.matches(v)] == expected


def test_comparison_without_value_is_an_error() -> None:
    with pytest.raises(WorkspaceError, match="needs a value"):
        parse_query("lr>=")


@pytest.mark.parametrize("query", ["lr>=abc", "lr>>0.1", "-loss.min<0,5"])
def test_an_ordered_comparison_with_no_number_is_an_error(query: str) -> None:
    with pytest.raises(WorkspaceError, match="is not a number"):
        parse_query(query)


def test_flatten_nested() -> None:
    assert flatten({"a": {"b": 1, "c": {"d": 2}}, "e": {}}) == {"a.b": 1, "a.c.d": 2, "e": {}}


def test_metrics_needed_for_comparisons_and_for_keys_no_parameter_has() -> None:
    params = {"lr": 0.1, "Opt": "adam"}
    assert not Query.parse("status:failed name").needs_metrics_with(params)
    assert not Query.parse("lr:0.1 opt:adam").needs_metrics_with(params)  # keys match case-insensitively
    assert Query.parse("loss<1").needs_metrics_with(params)
    assert Query.parse("lr<1").needs_metrics_with(params)  # a comparison looks at metrics first
    assert Query.parse("loss:0.4").needs_metrics_with(params)


NAMED = [  # a script whose parameters are called as the language's words, one also logged as a metric
    TaskView(Task(name="run_a", status=Status.COMPLETED), {"name": "resnet", "status": "new", "lr": 0.1}, {"lr": 0.5}),
    TaskView(Task(name="run_b", status=Status.FAILED), {"name": "vit", "status": "old", "lr": 0.01}, {"lr": 0.05}),
    TaskView(Task(name="run_c", status=Status.PENDING), {"param.x": 1}, {}),  # flat, as a view holds it
]


@pytest.mark.parametrize(("query", "expected"), [
    ("param.name:resnet", ["run_a"]),  # (was: no task, `param.name` named no parameter)
    ("name:resnet", []),  # the task's name, as before
    ("-param.name:vit", ["run_a", "run_c"]),
    ("param.name!=vit", ["run_a"]),  # (as `opt!=adam`: a task without it is left out)
    ("param.name=VIT", ["run_b"]),
    ("param.status:old", ["run_b"]),  # (a `status:` of a word no status starts with is refused)
    ("param.lr>=0.05", ["run_a"]),  # the parameter, never the logged lr (a comparison looks at the metric)
    ("lr>=0.05", ["run_a", "run_b"]),
    ("param.lr:0.01", ["run_b"]),
    ("param.x:1", ["run_c"]),  # a parameter nested under `param`, as before
    ("param.nope:1", []),
])
def test_a_param_prefix_addresses_the_parameter_whatever_the_word(query: str, expected: list[str]) -> None:
    q = parse_query(query)
    assert [v.task.name for v in NAMED if q.matches(v)] == expected
    assert not Query.parse(query).needs_metrics_with(NAMED[0].params) or not query.startswith(("param.", "-param."))
