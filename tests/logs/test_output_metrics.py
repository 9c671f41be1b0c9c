"""Metrics read from output lines by the default and by custom rules."""

from __future__ import annotations

import pytest

from pyruns_tui.logs.output_metrics import (
    DEFAULT_RULES,
    MetricRules,
    RuleError,
    compile_rule,
    is_config_echo,
    param_values,
    row_step,
)

DEFAULTS = MetricRules(DEFAULT_RULES.items())


@pytest.mark.parametrize(("line", "expected"), [
    ("loss=0.123", {"loss": 0.123}),
    ("train loss: 0.6000", {"loss": 0.6}),
    ("epoch 1/10 loss=0.500 val_acc 0.81", {"loss": 0.5, "val_acc": 0.81}),
    ("{'loss': 0.7, 'learning_rate': 5e-05, 'epoch': 1.0}", {"loss": 0.7, "learning_rate": 5e-05, "epoch": 1.0}),
    ("1563/1563 [====] - 16s 10ms/step - loss: 0.2500 - accuracy: 0.7000 - val_loss: 0.3000",
     {"loss": 0.25, "accuracy": 0.7, "val_loss": 0.3}),
    ("812/1563 ━━━━ 12s 8ms/step - accuracy: 0.91 - loss: 0.1234", {"accuracy": 0.91, "loss": 0.1234}),
    ("Epoch 2:  40%|████▍     | 16/40 [00:00<00:00, 916.94it/s, v_num=1, loss=0.285]", {"loss": 0.285}),
    ("2024-01-01 12:00:00,123 INFO lr 1e-3", {"lr": 0.001}),
    ("loss=nan", {"loss": pytest.approx(float("nan"), nan_ok=True)}),
    ("loss: 0.5, acc: 0.9", {"loss": 0.5, "acc": 0.9}),
    ("loss=0.5,acc=0.9", {"loss": 0.5, "acc": 0.9}),
])
def test_default_rules(line: str, expected: dict[str, float]) -> None:
    assert DEFAULTS.scan(line) == expected


@pytest.mark.parametrize("line", [
    "epochs:  30%|███▌      | 3/10 [00:00<00:01,  3.73it/s]", "ETA: 7s", "time: 12:30:01",
    "acc:  30%|███▌      | 3/10", "Downloading: 45%", "Python 3.10",
    # a status line's percentage is progress or nothing (`Extracting: 45 %` was a metric `Extracting`,
    # `Mapping: 45%` one named `Mapping`: it holds `map`)
    "Extracting: 45 %", "val: 45 %", "progress = 45 %", "Mapping: 45%", "Accumulating: 45 %", "Transferring: 45.5%", "epoch 3/10", "step 12", "path=/tmp/x",
    "ids=1,2,3", "x=1234,567", "x=1,2345", "x=12,34,567", "betas=0.9,0.999",  # a list, no digit groups
])
def test_default_rules_ignore(line: str) -> None:
    assert DEFAULTS.scan(line) == {}


@pytest.mark.parametrize(("line", "expected"), [
    # pytorch/examples dcgan prints the seed it drew before training: it was a metric `Seed`, the
    # first chart of every run (one point), a column of export and compare
    ("Random Seed:  7078", {}),
    ("seed=42 loss=0.1", {"loss": 0.1}),
    ("{'seed': 42, 'loss': 0.5}", {"loss": 0.5}),
    ("manualSeed=3 Loss_D: 0.4", {"Loss_D": 0.4}),
    ("num_seeds=4", {"num_seeds": 4.0}),
])
def test_a_seed_is_no_metric(line: str, expected: dict[str, float]) -> None:
    assert DEFAULTS.scan(line) == expected


@pytest.mark.parametrize(("line", "expected"), [
    # kuangliu/pytorch-cifar's progress_bar: its accuracy, the one number a sweep of it is about,
    # was never read (a number followed by `%` was no value)
    (" [=====>....]  Step: 53ms | Tot: 1s523ms | Loss: 0.468 | Acc: 94.531% (3630/3840)",
     {"Loss": 0.468, "Acc": 94.531}),
    ("acc: 91%", {"acc": 91.0}),
    ("top1_acc = 76.1 %", {"top1_acc": 76.1}),
])
def test_a_percentage_named_like_a_metric_is_its_value(line: str, expected: dict[str, float]) -> None:
    assert DEFAULTS.scan(line) == expected


@pytest.mark.parametrize(("line", "expected"), [
    # the Hugging Face Trainer's banner, Keras' model.summary(): the digit groups are one number
    ("  Num examples = 25,000", {"examples": 25_000.0}),
    ("  Total optimization steps = 9,375", {"steps": 9_375.0}),
    ("  Number of trainable parameters = 66,955,010", {"parameters": 66_955_010.0}),
    ("Total params: 11,689,512 (44.59 MB)", {"params": 11_689_512.0}),
    ("loss = 1,234.5", {"loss": 1234.5}),
    ("loss=-1,234.5e-3 acc=0.5", {"loss": -1.2345, "acc": 0.5}),
    ("{'loss': 1,234.5, 'epoch': 2}", {"loss": 1234.5, "epoch": 2.0}),
    ("val_loss 12,345.25", {"val_loss": 12345.25}),
    ("step=1,000,loss=0.5", {"step": 1000.0, "loss": 0.5}),
])
def test_numbers_with_thousands_separators_are_read_whole(line: str, expected: dict[str, float]) -> None:
    assert DEFAULTS.scan(line) == expected


def test_a_custom_rule_may_read_digit_groups() -> None:
    rules = MetricRules([("seen", r"seen ([\d,.]+) images")])
    assert rules.scan("seen 1,281,167 images") == {"seen": 1_281_167.0}
    assert rules.scan("seen 1,28,167 images") == {}  # not thousands groups: no number


def test_a_rule_without_a_name_group_names_its_metric() -> None:
    rules = MetricRules([("top1", r"Top-1 accuracy of the network: (?P<value>[\d.]+) %")])
    assert rules.scan("Top-1 accuracy of the network: 76.13 %") == {"top1": 76.13}


def test_first_rule_wins_for_a_name() -> None:
    rules = MetricRules([("loss", r"LOSS (\d+)"), *DEFAULT_RULES.items()])
    assert rules.scan("LOSS 7 loss=0.5") == {"loss": 7.0}


@pytest.mark.parametrize(("pattern", "message"), [
    ("loss=(", "is not a valid regex"), ("loss=[0-9.]+", "needs a group for the value"),
])
def test_bad_rules_are_named(pattern: str, message: str) -> None:
    with pytest.raises(RuleError, match=f"rule 'bad' {message}"):
        compile_rule("bad", pattern)


def test_a_parameter_too_large_for_a_float_is_no_number_a_line_echoes() -> None:
    params = param_values({"big": 10**400, "small": -(10**400), "n": 3})
    assert params == {"n": frozenset({3.0})}
    assert is_config_echo(DEFAULTS.scan("n=3"), params)


PARAMS = param_values({"model.hidden": 128, "optim.lr": 1e-3, "seed": 0, "amp": True, "arch": "resnet18",
                       "wd": "5e-4", "LR_Min": 1e-5, "ratio": float("nan")})


@pytest.mark.parametrize(("line", "echo"), [
    ("Namespace(arch='resnet18', hidden=128, lr=0.001, seed=0, amp=True)", True),  # print(args)
    ("arch=resnet18 hidden=128 dataset=cifar10 batch_size=128", False),  # batch_size is no parameter
    ("hidden=128 model.hidden=128 wd=0.0005", True),  # a dotted name, a number given as text
    ("{'lr': 0.001, 'lr_min': 1e-05}", True),  # names compared without case
    ("epoch 1/5 loss=0.5 lr=0.001", False),  # a metric beside the parameter: the line is kept
    ("lr=0.0005", False),  # the parameter's value changed (a schedule)
    ("amp=1 seed=0", False),  # a flag is no number
    ("ratio=nan", False),
    ("no metrics here", False),
])
def test_a_line_of_parameters_with_their_values_is_a_config_echo(line: str, echo: bool) -> None:
    assert is_config_echo(MetricRules(DEFAULT_RULES.items()).scan(line), PARAMS) is echo


@pytest.mark.parametrize(("line", "step", "metrics"), [
    ("epoch 3 step 812 loss=0.31 acc=0.9", 812, {"loss": 0.31, "acc": 0.9}),
    ("step=812 loss=0.3", 812, {"loss": 0.3}),
    ("iter 300 loss 0.25", 300, {"loss": 0.25}),
    ("Iteration 300: loss 0.25", 300, {"loss": 0.25}),
    ("global_step: 1200 - loss: 0.3", 1200, {"loss": 0.3}),
    ("{'loss': 0.3, 'step': 5}", 5, {"loss": 0.3}),
    ("it=300 loss=1", None, {"it": 300.0, "loss": 1.0}),  # no tool prints it=N: `(it: 5)` is prose
    ("step 12,000 loss=0.1", 12000, {"loss": 0.1}),
    # global_step first (a script printing both counts `step` within an epoch); the other stays, renamed
    ("epoch=3 step=50 global_step=1050 loss=0.2", 1050, {"epoch": 3.0, "step_": 50.0, "loss": 0.2}),
    ("step 50 global_step: 1050 loss=0.2", 1050, {"loss": 0.2}),
    # the same count under two keys is one step (TF Estimator), not a step and a chart
    ("Saving dict for global step 1000: global_step = 1000, loss = 0.3", 1000, {"loss": 0.3}),
    ("Step 100 / 1000 loss=0.5", None, {"loss": 0.5}),  # counters of a total, however written
    ("step 7 of 10 loss=0.5", None, {"loss": 0.5}),
    ("Step 2023-01-01 loss=0.5", None, {"loss": 0.5}),  # a date
    ("0.45 s/iter 300 loss=0.5", None, {"loss": 0.5}),  # a rate's unit
    ("step=-1 loss=0.5", None, {"step_": -1.0, "loss": 0.5}),  # no negative step
    ("Step 7/10 loss=0.5", None, {"loss": 0.5}),  # a counter of a total restarts every epoch: no step
    ("train: 45%|##  | 450/1000 [00:01<00:02, 300.00it/s, loss=0.3]", None, {"loss": 0.3}),
    ("made it 3 loss=0.1", None, {"loss": 0.1}),  # `it` only with `=` or `:`
    ("epoch 3 loss=0.1", None, {"loss": 0.1}),  # an epoch is no step
    ("iter 00:01 loss=1", None, {"loss": 1.0}),
    # a metric named like a row field is kept under another name, never dropped or written over the field
    ("step=0.5 loss=1", None, {"loss": 1.0, "step_": 0.5}),
    ("t=0.5 loss=1 stage: 2 source=3", None, {"loss": 1.0, "t_": 0.5, "stage_": 2.0, "source_": 3.0}),
])
def test_a_line_naming_its_step_gives_the_rows_step(line: str, step: int | None, metrics: dict[str, float]) -> None:
    found = DEFAULTS.scan(line)
    got = row_step(line, found)
    assert (got, found) == (step, metrics)
    assert type(got) is (int if step is not None else type(None))
