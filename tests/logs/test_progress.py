"""Progress read off recorded real outputs (tests/logs/fixtures/progress/*.bin, recorded under a
pty by `python -m tests.logs.fixtures.progress.record`; Keras and Lightning are not installed
here, so their programs reproduce those libraries' bytes) and off single lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyruns_tui.logs.progress import (
    TRUST_STEPS,
    Progress,
    counted_from_zero,
    find_indicator,
    parse_duration,
    read_progress,
)
from pyruns_tui.logs.terminal import TerminalModel

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "progress"


def screen_of(name: str) -> list[str]:
    model = TerminalModel(styles=False)
    model.feed((FIXTURES / f"{name}.bin").read_bytes())
    model.finish()
    return model.screen_lines()


def test_tqdm_bar_with_postfix() -> None:
    assert read_progress(screen_of("tqdm_postfix")) == Progress(
        progress=812 / 1563, label="train 812/1563", rate=399.38, eta_s=1.88, elapsed_s=1.0)


def test_nested_tqdm_combines_outer_and_inner_bars() -> None:
    # 3 epochs done of 10, 120/200 batches of the 4th: (3 + 0.6) / 10
    progress = read_progress(screen_of("tqdm_nested_mid"))
    # each epoch after this one is as long as the outer bar measured them (3.73 epochs/s); the rest
    # of this one mostly by its own rate, 120 steps in (TRUST_STEPS)
    trust = 120 / (120 + TRUST_STEPS)
    rest = trust * 80 / 679.49 + (1 - trust) * 0.4 / 3.73
    assert progress == Progress(progress=0.36, label="epochs 3/10 · epoch 3 120/200", rate=679.49,
                                eta_s=round(rest + 6 / 3.73, 3), elapsed_s=0.0)


def test_rich_progress_takes_the_unfinished_task() -> None:
    assert read_progress(screen_of("rich_mid")) == Progress(progress=0.4, label="train 40%", eta_s=1.0)


def test_plain_epoch_prints_above_a_batch_bar() -> None:
    progress = read_progress(screen_of("plain_epochs"))
    assert progress is not None
    assert progress.label == "epoch 3/10 · 812/1563"
    assert progress.progress == (2 + 812 / 1563) / 10  # `epoch 3/10` is the epoch in progress
    assert progress.rate == 1861.8
    loop = (1563 / 1671.45 + 1563 / 1801.01) / 2  # the two finished epochs' bars (shown 00:00 each)
    trust = 812 / (812 + TRUST_STEPS)
    rest = trust * (1563 - 812) / 1861.8 + (1 - trust) * (1 - 812 / 1563) * loop
    assert progress.eta_s == round(rest + 7 * loop, 3)


def test_keras_fit() -> None:
    progress = read_progress(screen_of("keras_fit"))
    assert progress is not None
    assert (progress.label, progress.progress) == ("Epoch 3/10 · 812/1563", (2 + 812 / 1563) / 10)
    # the epoch's ETA (7s), then 7 epochs as long as those finished (1563 steps at 10ms/step)
    trust = 812 / (812 + TRUST_STEPS)
    assert progress.eta_s == round(trust * 7 + (1 - trust) * (1 - 812 / 1563) * 15.63 + 7 * 15.63, 3)


def test_an_epoch_heading_alone_counts_the_epochs_before_it() -> None:
    # Keras prints `Epoch 2/3` and draws its bar after the first batch: the heading alone read 2/3
    # (67 %), and the bar's first step then 34 %: the progress went back at each epoch's start
    model = TerminalModel(styles=False)
    model.feed(b"Epoch 1/3\n 5/20 [=======>......................] - ETA: 1s - loss: 0.3000"
               + b"\x08" * 60 + b"\r20/20 [==============================] - 2s 100ms/step - loss: 0.1000\n"
               b"Epoch 2/3\n")
    heading = read_progress(model.screen_lines(), run_elapsed_s=2.1)
    assert heading is not None and (heading.label, heading.progress) == ("Epoch 2/3", 1 / 3)
    model.feed(b" 1/20 [>.............................] - ETA: 2s - loss: 0.2000")
    first_step = read_progress(model.screen_lines())
    assert first_step is not None and first_step.progress == (1 + 1 / 20) / 3
    # before its first step the run's first epoch is at 0, with no ETA to say yet
    assert read_progress(["Epoch 1/3"], run_elapsed_s=9.0) == Progress(progress=0.0, label="Epoch 1/3")
    # a summary printed after a step is that step done
    assert read_progress(["Epoch 2/3 - loss: 0.1"]).progress == 2 / 3  # type: ignore[union-attr]


def test_tqdm_ascii_bars_are_bars() -> None:
    # `tqdm(ascii=True)` (tqdm's default where the terminal cannot draw blocks) draws eighths as the
    # digits 1-9: `|#######6  |` was no bar, so the outer bar's `1/3` was read as a printed counter,
    # in its first epoch: 17 % where 50 % were done
    model = TerminalModel(styles=False)
    model.feed(b"\repochs:   0%|                                   | 0/3 [00:00<?, ?it/s]"
               b"\repochs:  33%|#######6               | 1/3 [00:03<00:06,  3.00s/it]\n"
               b"\rbatch:   0%|                                   | 0/60 [00:00<?, ?it/s]\x1b[A\n"
               b"\rbatch:  50%|##########          | 30/60 [00:01<00:01, 20.00it/s]\x1b[A")
    progress = read_progress(model.screen_lines())
    assert progress is not None and (progress.label, progress.progress) == ("epochs 1/3 · batch 30/60", (1 + 0.5) / 3)
    indicator = find_indicator("train:   7%|#9                          | 7/100 [00:00<00:09, 10.0it/s]")
    assert indicator is not None and indicator.is_bar and indicator.label == "train 7/100"
    assert find_indicator("| 5 | 7/100 |") is not None and not find_indicator("| 5 | 7/100 |").is_bar  # type: ignore[union-attr]


def test_lightning_epoch_bar() -> None:
    assert read_progress(screen_of("lightning_fit")) == Progress(
        progress=0.4, label="Epoch 2 16/40", rate=916.94, eta_s=round(24 / 916.94, 3), elapsed_s=0.0)


@pytest.mark.parametrize(("name", "expected"), [
    # Lightning 2.1+: the epoch's training bar stays at its end (32/32) while `Validation
    # DataLoader 0` runs below it: the progress jumped to the validation's 3/8 (37.5 %)
    ("lightning_val", Progress(progress=1.0, label="Epoch 2 32/32", rate=5912.68, eta_s=0.0, elapsed_s=0.0)),
    # Lightning 2.0: the epoch's bar counts the validation batches too (35/40): the validation's
    # 3/8 was added to it as an inner loop's (88.4 %, `Epoch 2 35/40 · Validation DataLoader 0 3/8`)
    ("lightning20_val", Progress(progress=35 / 40, label="Epoch 2 35/40", rate=3588.47, eta_s=0.001, elapsed_s=0.0)),
])
def test_lightning_validation_bar_leaves_the_progress_to_the_epoch_bar(name: str, expected: Progress) -> None:
    screen = screen_of(name)
    assert any(line.startswith("Validation DataLoader 0:  38%") for line in screen)  # it is on the screen
    assert read_progress(screen) == expected


def test_an_evaluation_pass_beside_training_is_no_part_of_its_progress() -> None:
    epoch = ["epoch 3/10", "train: 100%|██████████| 20/20 [00:02<00:00,  9.80it/s]"]
    for evaluation in ("val:  40%|████      | 4/10 [00:00<00:01,  9.90it/s]", "Test: [ 4/10]\tTime 0.1",
                       "Evaluating:  40%|████      | 4/10", "val: 40%"):
        progress = read_progress([*epoch, evaluation])
        assert progress is not None and (progress.progress, progress.label) == (0.3, "epoch 3/10 · train 20/20"), evaluation
    # alone (`trainer.validate()`, a test script), an evaluation pass is the progress
    assert read_progress(["Validation DataLoader 0:  40%|████      | 4/10 [00:00<00:01,  9.90it/s]"]).progress == 0.4  # type: ignore[union-attr]


def test_rich_tasks_drawn_together_count_the_overall_one_else_the_first_unfinished() -> None:
    # rich's overall task above the epoch's, both percentages only: the last line drawn, the
    # epoch's 60 %, was the run's progress
    screen = screen_of("rich_overall")
    assert [line[:7] for line in screen if line] == ["Overall", "Epoch 3"]
    assert read_progress(screen) == Progress(progress=0.3, label="Overall 30% · Epoch 3 60%", eta_s=1.0)
    # the overall task added after the epoch's (rich draws it below): still the overall's 30 %
    screen = screen_of("rich_overall_below")
    assert [line[:7] for line in screen if line] == ["Epoch 3", "Overall"]
    assert read_progress(screen) == Progress(progress=0.3, label="Overall 30% · Epoch 3 60%", eta_s=1.0)
    # a finished task above does not count (rich_mid's `prepare`), nor a bar apart from the block
    apart = ["fetch ━━━━━━━━━━╺━━━━━━━━━━━━━━━━━━━━━━━━━━━━━  25% 0:00:09", "loading weights",
             "train ━━━━━━━━━━━━━━━━╺━━━━━━━━━━━━━━━━━━━━━━━  40% 0:00:01"]
    assert read_progress(apart).label == "train 40%"  # type: ignore[union-attr]


@pytest.mark.parametrize(("line", "label"), [
    # a percentage after a label is progress; named like a metric, a metric (output_metrics)
    ("Downloading: 45%", "Downloading 45%"), ("Extracting: 45 %", "Extracting 45 %"), ("val: 45%", "val 45%"),
    ("acc: 91%", None), ("Test accuracy: 98%", None), ("top1_acc = 76.1 %", None), ("Accuracy 98%", None),
    ("dropout=45%", None),  # a value printed as key=value
])
def test_a_percentage_after_a_label(line: str, label: str | None) -> None:
    progress = read_progress([line])
    assert (progress.label if progress else None) == label


def test_the_eta_early_in_an_epoch_is_the_length_of_the_epochs_before() -> None:
    # three quick (prefetched) batches into epoch 3 of 4, tqdm's rate is 152 it/s where an epoch
    # runs at 19: the ETA said 0.24 s, as if this epoch and the next took as long as those batches
    progress = read_progress(screen_of("tqdm_epoch_start"))
    assert progress is not None and (progress.label, progress.progress) == ("epoch 3/4 · 3/20", (2 + 3 / 20) / 4)
    left = 17 * 0.06 + 0.1 + (3 * 0.005 + 17 * 0.06 + 0.1)  # what the program still sleeps (its docstring)
    assert progress.eta_s is not None and 0.75 * left < progress.eta_s < 1.25 * left, progress.eta_s
    # a loop well under way goes by its own rate (its first steps no longer count much)
    later = read_progress([*screen_of("tqdm_epoch_start")[:4],
                           "epoch 3/4:  90%|█████████    | 18/20 [00:01<00:00, 17.00it/s]"])
    assert later is not None and later.eta_s is not None
    trust = 18 / (18 + TRUST_STEPS)
    loop = (20 / 19.00 + 20 / 19.02) / 2  # the finished epochs: 20 steps at 19 it/s (elapsed: 00:01)
    assert later.eta_s == round(trust * 2 / 17 + (1 - trust) * 0.1 * loop + loop, 3)


def test_a_counter_in_a_bars_description_is_the_outer_loop() -> None:
    # demo_scripts/train.py's `tqdm(desc=f"epoch {e}/{n}")`: the `2/2` in the description was taken
    # for the bar's count, so the last epoch showed 100 % and "eta 0s" from its first step
    progress = read_progress(screen_of("tqdm_desc_counter"))
    assert progress is not None
    assert (progress.label, progress.progress) == ("epoch 2/2 · 4/40", (1 + 4 / 40) / 2)
    assert progress.eta_s == round(36 / progress.rate, 3)  # the last epoch: only the rest of its bar
    first = read_progress(["epoch 1/2:  38%|███▊      | 15/40 [00:03<00:05,  4.8it/s, loss=1.2]"])
    assert first is not None and first.progress == 15 / 40 / 2
    assert first.eta_s == round(25 / 4.8 + 40 / 4.8, 3)  # this epoch's rest, then one more


def test_two_counters_on_one_line_nest_left_to_right() -> None:
    # `\rEpoch {e}/{E} step {i}/{N}` was read as its epoch alone: 66 % half-way through epoch 2 of 3
    for line in ("Epoch 2/3 step 15/100 loss=0.0667", "epoch 2/3 | batch 15/100"):
        progress = read_progress([line])
        assert progress is not None and progress.progress == (1 + 15 / 100) / 3, line
    assert read_progress(["Epoch 2/3 step 15/100"]).label == "Epoch 2/3 · step 15/100"  # type: ignore[union-attr]
    assert read_progress(["step 15/100 loss=0.1"]).progress == 0.15  # type: ignore[union-attr]


def test_a_printed_counter_at_its_last_step_still_counts_the_steps_before() -> None:
    # `epoch 10/10` is in its tenth epoch: 9 done, not 10 (it was taken as finished and dropped)
    progress = read_progress(["epoch 10/10", "train:  50%|█████     | 5/10 [00:05<00:05,  1.00it/s]"])
    assert progress is not None and progress.progress == (9 + 0.5) / 10


@pytest.mark.parametrize(("line", "fraction", "rate", "remaining"), [
    ("epoch 2/2:  10%|█         | 4/40 [00:00<00:07,  4.8it/s]", 0.1, 4.8, 7.0),  # one glyph drawn

    ("train:  40%|████      | 4/10 [00:02<00:03,  1.50s/it]", 0.4, 1 / 1.5, 3.0),
    ("dl: 1.20k/3.00k [01:02<1:00:03, 12.0kB/s]", 0.4, 12000.0, 3603.0),
    ("  5/20 [=====>........] - ETA: 1:02 - loss: 0.3", 0.25, None, 62.0),
    ("812/1563 ━━━━━━━━━━ 12s 8ms/step - loss: 0.1", 812 / 1563, 125.0, 12.0),
    ("Downloading 45%", 0.45, None, None),
])
def test_single_lines(line: str, fraction: float, rate: float | None, remaining: float | None) -> None:
    indicator = find_indicator(line)
    assert indicator is not None
    assert (indicator.fraction, indicator.rate, indicator.remaining_s) == (pytest.approx(fraction), rate and pytest.approx(rate), remaining)


@pytest.mark.parametrize("line", [
    "acc: 91%", "saved to runs/2024/01/02", "loss=0.3", "Python 3.10", "12/3 items", "",
])
def test_lines_that_are_not_progress(line: str) -> None:
    assert find_indicator(line) is None


def test_no_progress_without_indicators() -> None:
    assert read_progress(["hello", "loss=0.3", ""]) is None


def test_eta_from_run_time_when_nothing_shows_one() -> None:
    progress = read_progress(["step 25/100 loss=0.3"], run_elapsed_s=30.0)
    assert progress is not None and progress.eta_s == 30.0 * 0.75 / 0.25


def test_durations() -> None:
    assert [parse_duration(t) for t in ("1:02:03", "02:03", "7s", "1.5m", "?", "-:--:--")] == [
        3723.0, 123.0, 7.0, 90.0, None, None]


def test_a_score_out_of_a_total_is_not_progress() -> None:
    # pytorch/examples mnist: its test line's `Accuracy: 9843/10000` was taken for an outer loop,
    # and the second epoch's first batches read 98 %
    train = [f"Train Epoch: 2 [{b}/60000 ({b / 600:.0f}%)]\tLoss: 0.300000" for b in (0, 640, 1280)]
    progress = read_progress([
        "Train Epoch: 1 [59520/60000 (99%)]\tLoss: 0.020000", "",
        "Test set: Average loss: 0.0479, Accuracy: 9843/10000 (98%)", "", *train])
    assert progress is not None and (progress.progress, progress.label) == (1280 / 60000, "1280/60000")
    assert find_indicator("top1: 812/1000 correct") is None


def test_a_loop_that_ran_between_two_epochs_is_not_an_outer_loop() -> None:
    # pytorch/examples imagenet prints every 10th batch, so its validation loop ended at
    # `Test: [191/196]`, unfinished: it was taken for the outer loop of the next epoch (97 %)
    def epoch(e: int, b: int) -> str:
        return f"Epoch: [{e}][{b:4d}/5005]\tTime  0.131 ( 0.331)\tLoss 6.9e+00 (6.9e+00)\tAcc@1   0.00 (  0.00)"
    test = [f"Test: [{b:3d}/196]\tTime  1.000 ( 1.000)\tAcc@1  10.00 ( 10.00)" for b in range(1, 197, 10)]
    progress = read_progress([epoch(0, 5001), *test, " *   Acc@1 12.000 Acc@5 33.000", epoch(1, 1), epoch(1, 11)])
    assert progress is not None and (progress.progress, progress.label) == (11 / 5005, "11/5005")


def test_a_counter_with_a_space_after_its_slash_is_labelled_whole() -> None:
    # pytorch/examples word_language_model: `| epoch   1 |   200/ 2983 batches` was labelled `200/`
    progress = read_progress(["| epoch   1 |   200/ 2983 batches | lr 20.00 | ms/batch 20.01 | loss  7.61"])
    assert progress is not None and (progress.progress, progress.label) == (200 / 2983, "200/2983")


@pytest.mark.parametrize("line", [
    "19:00:02 INFO    step 30/100 loss=1.0",  # logging's `%(asctime)s` (time of day)
    "2026-12-06 19:00:02,123 - INFO - Epoch: [3][ 30/100]  Time  0.100 ( 0.120)",
    "[19:00:02] step 30/100 loss=1.0",  # a bracketed stamp, shaped as tqdm's [elapsed<remaining
])
def test_the_time_a_logger_stamps_a_line_with_is_no_time_left(line: str) -> None:
    # it was read as 19 hours remaining (or elapsed): the ETA comes from how long the run has gone
    progress = read_progress([line], run_elapsed_s=3.0)
    assert progress is not None and progress.progress == 0.3
    assert progress.eta_s == 7.0 and progress.elapsed_s is None


def test_a_bars_own_times_after_a_stamped_description_still_count() -> None:
    line = "19:00:02 epoch 2:  38%|███▊      | 15/40 [00:01<00:02, 12.5it/s]"
    progress = read_progress([line])
    assert progress is not None and progress.elapsed_s == 1.0 and progress.eta_s == 2.0


def test_two_values_with_decimals_are_not_a_counter() -> None:
    # pytorch/examples dcgan: `D(G(z)): 0.4123 / 0.3011` (before and after the generator's step) was
    # the innermost counter whenever the first was the smaller: progress jumped between 2 % and 99 %
    def line(epoch: int, i: int, before: float, after: float) -> str:
        return (f"[{epoch}/25][{i}/782] Loss_D: 0.6011 Loss_G: 2.3207 D(x): 0.7713 "
                f"D(G(z)): {before:.4f} / {after:.4f}")
    progress = read_progress([line(1, 12, 0.3011, 0.2113), line(1, 13, 0.2891, 0.4123)])
    assert progress is not None and (progress.progress, progress.label) == (13 / 782 / 25, "1/25 · 13/782")
    assert find_indicator("D(G(z)): 0.2891 / 0.4123") is None
    assert find_indicator("loss 0.5/1.0") is None


def dcgan_line(epoch: int, batch: int) -> str:
    """pytorch/examples dcgan's line per batch: both its loops count from 0 (`[0/25][0/782]`)."""
    return (f"[{epoch}/25][{batch}/782] Loss_D: 0.6011 Loss_G: 2.3207 D(x): 0.7713 "
            f"D(G(z)): 0.3011 / 0.2113")


def test_counters_seen_at_zero_count_from_zero() -> None:
    # dcgan's `[3/25]` is its fourth epoch, 3 done; read as the third, the run stayed an epoch
    # behind and its last epoch, `[24/25]`, ended at 96 %
    screen = [dcgan_line(0, 0), dcgan_line(0, 1), *(dcgan_line(3, b) for b in range(98, 101))]
    progress = read_progress(screen)
    assert progress is not None and (progress.progress, progress.label) == ((3 + 100 / 782) / 25, "3/25 · 100/782")
    # the 0 scrolled off: the kinds seen at 0 before are given
    assert counted_from_zero(dcgan_line(0, 0)) == {"/25", "/782"}
    last = read_progress([dcgan_line(24, b) for b in range(770, 782)], from_zero={"/25"})
    assert last is not None and last.progress == (24 + 781 / 782) / 25
    # counted from 1, as before: `epoch 3/10` is the third epoch
    assert read_progress(["epoch 3/10", "step 5/10"]).progress == (2 + 0.5) / 10  # type: ignore[union-attr]
    assert read_progress(["epoch 0/10", "step 5/10", "epoch 3/10", "step 5/10"]).progress == (3 + 0.5) / 10  # type: ignore[union-attr]
    # a bar at 0 counts steps done from 0 anyway: no kind to remember
    assert counted_from_zero("train:   0%|          | 0/10 [00:00<?, ?it/s]") == set()
