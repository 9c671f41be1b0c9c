"""What the Generator says, as a newcomer read it with pytorch/examples' fast_neural_style: labels
that tell `checkpoint_model_dir` from `checkpoint_interval`, a default written `1e10` read as
written, the required marker apart from the help's own full stop, how to leave YAML mode's text,
and which sub-command (`train`/`eval`) the form is for."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pyruns_tui.params import yamlio
from pyruns_tui.params.argv import build_argv
from pyruns_tui.tui.app import PyrunsApp
from pyruns_tui.tui.widgets.generator.field_labels import cut_names
from pyruns_tui.tui.widgets.topbar import TopBar
from pyruns_tui.workspace.bootstrap import init_workspace, params_of, read_script_info
from pyruns_tui.workspace.layout import Layout
from tests.tui.test_generator import edit, ready, row, until
from tests.tui.test_generator_keys import footer_keys

# the parameters of pytorch/examples' fast_neural_style/neural_style.py that the tour met
FAST_NEURAL_STYLE = """import argparse
main_arg_parser = argparse.ArgumentParser(description="parser for fast-neural-style")
subparsers = main_arg_parser.add_subparsers(title="subcommands", dest="subcommand")
train_arg_parser = subparsers.add_parser("train", help="parser for training arguments")
train_arg_parser.add_argument("--epochs", type=int, default=2, help="number of training epochs, default is 2")
train_arg_parser.add_argument("--save-model-dir", type=str, required=True,
                              help="path to folder where trained model will be saved.")
train_arg_parser.add_argument("--checkpoint-model-dir", type=str, default=None,
                              help="path to folder where checkpoints of trained models will be saved")
train_arg_parser.add_argument("--content-weight", type=float, default=1e5, help="weight for content-loss, default is 1e5")
train_arg_parser.add_argument("--style-weight", type=float, default=1e10, help="weight for style-loss, default is 1e10")
train_arg_parser.add_argument("--lr", type=float, default=1e-3, help="learning rate, default is 1e-3")
train_arg_parser.add_argument("--checkpoint-interval", type=int, default=2000,
                              help="number of batches after which a checkpoint of the trained model will be created")
eval_arg_parser = subparsers.add_parser("eval", help="parser for evaluation/stylizing arguments")
eval_arg_parser.add_argument("--content-image", type=str, required=True, help="path to content image you want to stylize")
args = main_arg_parser.parse_args()
"""


@pytest.fixture
def style(tmp_path: Path) -> Layout:
    (tmp_path / "neural_style.py").write_text(FAST_NEURAL_STYLE)
    return init_workspace(tmp_path, tmp_path / "neural_style.py")


def label(app: PyrunsApp, key: str) -> str:
    """The label a row draws at rest (its line up to the value)."""
    screen = app.screen
    drawn = screen.form.row(key)  # type: ignore[attr-defined]
    return drawn.render().plain.split("\n")[0][: drawn.label_width].strip()


async def test_labels_widen_with_the_terminal_and_show_whole_names(style: Layout) -> None:
    app = PyrunsApp(style, watch_disk=False)
    async with app.run_test(size=(120, 40)) as pilot:
        gen = await ready(pilot)
        await until(pilot, lambda: label(app, "checkpoint_model_dir") == "checkpoint_model_dir")
        assert label(app, "checkpoint_interval") == "checkpoint_interval"
        editor = await edit(pilot, row(gen, "checkpoint_interval"))  # the edited row's value in the same column
        await pilot.pause()
        assert editor.region.x - row(gen, "checkpoint_interval").region.x == row(gen, "epochs").label_width
        await pilot.resize_terminal(80, 24)  # back to today's column: the value keeps its room
        await until(pilot, lambda: label(app, "checkpoint_model_dir") == "checkpoint_mod…")
        assert row(gen, "epochs").label_width == 18


def test_cut_names_that_would_read_the_same_keep_their_end() -> None:
    names = [("checkpoint_model_dir_a", 15), ("checkpoint_model_dir_b", 15), ("epochs", 15)]
    cuts = cut_names(names)
    assert cuts == ["…nt_model_dir_a", "…nt_model_dir_b", "epochs"]
    assert len(set(cut_names([("x" * 30 + "_dir", 15)] * 1 + [("x" * 31 + "_dir", 15), ("x" * 32 + "_dir", 15)]))) == 3


async def test_a_default_written_1e10_reads_as_written_and_launches_as_the_same_float(style: Layout) -> None:
    app = PyrunsApp(style, watch_disk=False)
    async with app.run_test(size=(120, 40)) as pilot:
        gen = await ready(pilot)
        assert (row(gen, "style_weight").text, row(gen, "content_weight").text) == ("1e10", "1e5")
        assert row(gen, "lr").text == "0.001"  # as short as `1e-3`: repr's spelling stays
        await pilot.press("ctrl+y")
        await until(pilot, lambda: gen.yaml_mode)
        text = gen.yaml_editor.text
        assert "style_weight: 1.0e+10 " in text and "content_weight: 1.0e+5 " in text
        assert yaml.safe_load(text)["style_weight"] == yamlio.load_text(text)["style_weight"] == 1e10
        await pilot.press("ctrl+y")
        await until(pilot, lambda: not gen.yaml_mode)
        assert row(gen, "style_weight").text == "1e10" and row(gen, "style_weight").value == 1e10
        sp = params_of(style, read_script_info(style))
        spec = {**gen.form.spec(), "save_model_dir": "out"}
        assert "--style-weight" not in build_argv(spec, sp)  # the default: the script's own 1e10
        row(gen, "style_weight").set_text("2e10")
        argv = build_argv({**gen.form.spec(), "save_model_dir": "out"}, sp)
        assert float(argv[argv.index("--style-weight") + 1]) == 2e10  # what argparse's type=float makes of it


async def test_yaml_modes_footer_says_how_to_leave_the_text(style: Layout) -> None:
    app = PyrunsApp(style, watch_disk=False)
    async with app.run_test(size=(120, 40)) as pilot:
        gen = await ready(pilot)
        assert "escape" not in footer_keys(gen)  # nothing focused: nothing to leave
        await pilot.press("ctrl+y")
        await until(pilot, lambda: gen.yaml_mode and gen.yaml_editor.has_focus)
        await pilot.press("3")  # typed into the text, as documented
        await until(pilot, lambda: "escape" in footer_keys(gen))
        assert gen.yaml_editor.text.startswith("3")
        await pilot.press("escape")  # and the key the footer shows does what it says
        await until(pilot, lambda: not gen.yaml_editor.has_focus and "escape" not in footer_keys(gen))
        await pilot.press("2")
        await until(pilot, lambda: app.screen is not gen)


@pytest.mark.parametrize("subcommand", [None, "eval"])
async def test_the_top_bar_names_the_sub_command_the_form_is_for(tmp_path: Path, subcommand: str | None) -> None:
    (tmp_path / "neural_style.py").write_text(FAST_NEURAL_STYLE)
    layout = init_workspace(tmp_path, tmp_path / "neural_style.py", subcommand=subcommand)
    app = PyrunsApp(layout, watch_disk=False)
    async with app.run_test(size=(80, 24)) as pilot:
        gen = await ready(pilot)
        shown = subcommand or "train"  # the first, as `init` chose and said
        await until(pilot, lambda: f"neural_style ({shown})" in gen.query_one(TopBar).summary.plain)
        assert [row.key for row in gen.form.rows] == (["content_image"] if subcommand else row_keys_of_train())


def row_keys_of_train() -> list[str]:
    return ["epochs", "save_model_dir", "checkpoint_model_dir", "content_weight", "style_weight", "lr",
            "checkpoint_interval"]


def test_a_warning_about_an_installed_package_names_its_file_from_the_package() -> None:
    # run_glue's form showed `⚠ /home/me/venv/lib/python3.11/site-packages/transformers/traini…`: the
    # environment's path filled the line and hid what was wrong
    from pyruns_tui.tui.screens.generator import extraction_notice

    warnings = ["/home/me/venv/lib/python3.11/site-packages/transformers/training_args.py:1039: choices of "
                "'log_level' cannot be read statically", "/home/me/proj/run_glue.py:9: something"]
    assert extraction_notice(warnings, project="/home/me/proj").splitlines() == [
        "⚠ transformers/training_args.py:1039: choices of 'log_level' cannot be read statically",
        "⚠ run_glue.py:9: something"]


async def test_on_a_short_terminal_the_preview_gives_way_to_the_form(tmp_path: Path) -> None:
    """At 60x15 the preview kept its 8 rows below the form, which showed one field (`arch`); it
    shrinks to its count and names, and grows back to 8 rows at 24 rows."""
    from pyruns_tui.tui.widgets.generator.fields import FieldRow
    from tests.conftest import DEMO

    app = PyrunsApp(init_workspace(tmp_path, DEMO / "train.py"), watch_disk=False)
    async with app.run_test(size=(60, 15)) as pilot:
        gen = await ready(pilot)

        def whole_fields() -> list[str]:
            shown = gen.form.scrollable_content_region
            return [field.field.key for field in gen.form.query(FieldRow)
                    if field.region.height and shown.contains_region(field.region)]

        await until(pilot, lambda: len(whole_fields()) >= 3, what="3 whole fields at 60x15")
        lines = [strip.text for strip in app.screen._compositor.render_strips()]
        assert any(line.strip() == "1 task" for line in lines)  # the preview's count still shows
        await pilot.resize_terminal(80, 24)
        await until(pilot, lambda: gen.preview.region.height == 8, what="the preview's 8 rows at 80x24")
