"""VaryingParams: the one rule of which parameters differ between tasks (the Manager's varying
columns, the chart labels)."""

from __future__ import annotations

from pyruns_tui.params.varying import VaryingParams


def test_a_key_some_tasks_lack_varies_whichever_task_comes_first() -> None:
    for params in ([{"lr": 0.1}, {"lr": 0.1, "warmup": 5}], [{"lr": 0.1, "warmup": 5}, {"lr": 0.1}]):
        assert VaryingParams.of(params).keys() == ["warmup"]
        counted = VaryingParams()
        for one in params:
            counted.add(one)
        assert counted.keys() == ["warmup"]


def test_equal_values_do_not_vary_and_unequal_ones_do_in_first_seen_order() -> None:
    params = [{"seed": 1, "lr": 1, "amp": True}, {"seed": 2, "lr": 1.0, "amp": 1}, {"seed": 3, "lr": 1, "amp": True}]
    assert VaryingParams.of(params).keys() == ["seed", "amp"]  # 1 == 1.0, True is not 1 (params.values)


def test_a_task_with_no_parameters_counts_for_none() -> None:
    # a task listed before its config is read, or with an unreadable one: it says nothing of any key
    assert VaryingParams.of([{"lr": 0.1}, {}, {"lr": 0.1}]).keys() == []
    assert VaryingParams.of([{}, {}]).keys() == []
