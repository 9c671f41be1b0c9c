"""Hugging Face `HfArgumentParser` scripts: the dataclasses' fields read statically as the options
HfArgumentParser adds, and command lines it reads back. The truth is the script run by the probe
with a stand-in transformers (projects/hf_project/site-packages: a re-implementation of
HfArgumentParser from its documented behaviour, and a few TrainingArguments fields)."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from pyruns_tui.params.argparse_ast import ScriptParams, extract_params
from pyruns_tui.params.argv import build_argv
from pyruns_tui.params.form_model import field_for
from pyruns_tui.workspace.module_files import ModuleFiles
from tests.params.real_parser import real_namespaces, strict_equal

PROJECT = Path(__file__).parent / "projects" / "hf_project"
SITE = PROJECT / "site-packages"
SCRIPT = PROJECT / "run_clm.py"


def extract(installed: bool, monkeypatch: pytest.MonkeyPatch) -> ScriptParams:
    """As `init` reads run_clm.py, with or without transformers installed where it looks."""
    if installed:
        monkeypatch.syspath_prepend(str(SITE))
    return extract_params(SCRIPT.read_text(), str(SCRIPT), finder=ModuleFiles(SCRIPT), script_path=str(SCRIPT))


def real(argvs: list[list[str]]) -> list[dict[str, Any]]:
    env = {**os.environ, "PYTHONPATH": str(SITE)}
    return real_namespaces(SCRIPT, argvs, env=env)


def test_the_dataclasses_fields_are_the_parameters_with_the_real_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    sp = extract(True, monkeypatch)
    assert sp.kind == "argparse"
    (truth,) = real([[]])
    truth = truth["ok"]
    assert set(sp.keys()) == set(truth)
    defaults = sp.defaults()
    for key in sp.keys():
        if key != "optim":
            assert strict_equal(defaults[key], truth[key]), (key, defaults[key])  # (a str Enum's member is its value)
    assert "_n_gpu" not in truth  # init=False
    lr = sp.specs_for("learning_rate")[0]
    assert lr.type_name == "float" and lr.group == "TrainingArguments" and lr.help == "The initial learning rate for AdamW."
    assert sp.specs_for("eval_strategy")[0].choices == ("no", "steps", "epoch")  # Union[IntervalStrategy, str]
    assert sp.specs_for("split")[0].choices == ("train", "validation", "test")  # Literal
    assert sp.specs_for("dtype")[0].choices == ("auto", "bfloat16", "float16", "float32")  # metadata
    assert sp.specs_for("columns")[0].nargs == "+"
    assert sp.specs_for("padding")[0].flags == ("--padding", "--pad")
    assert sp.specs_for("dataset_name")[0].group == "data"  # _argument_group_name
    assert [s.flags[0] for s in sp.specs_for("keep_linebreaks")] == ["--keep_linebreaks", "--no_keep_linebreaks"]
    assert sp.specs_for("model_type")[0].help == "If training from scratch, pass a model type from the list: gpt2, llama"
    assert str(SITE / "transformers" / "training_args.py") in sp.files_read
    # `default=default_optim`, set under `if is_torch_available():` (the installed torch decides): said with
    # its values, once, not as the bare name
    optim = sp.specs_for("optim")[0]
    said = "default_optim is 'adamw_torch' or 'adamw_torch_fused', decided when the script runs"
    assert not optim.default_resolved and optim.default_source == said
    # said at the `if` that decides it (the outer one of two), not at the field's line (33)
    assert sp.warnings == (f"{SITE / 'transformers' / 'training_args.py'}:28: could not resolve the default of --optim: {said}",)


def test_without_the_library_its_dataclass_is_one_warning_and_the_scripts_own_are_read(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", [p for p in sys.path if "transformers" not in p])
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    monkeypatch.delenv("CONDA_PREFIX", raising=False)
    sp = extract(False, monkeypatch)
    assert sp.kind == "argparse"
    assert "learning_rate" not in sp.keys() and "model_revision" in sp.keys() and "columns" in sp.keys()
    (warning,) = sp.warnings
    assert warning.endswith("run_clm.py:79: the dataclass TrainingArguments (transformers) given to HfArgumentParser "
                            "cannot be read: transformers is not installed where pyr-tui looks (this Python, "
                            "VIRTUAL_ENV, CONDA_PREFIX); its options are missing (the other dataclasses' are read)")


CHANGES = [
    {"model_name_or_path": "gpt2", "use_fast_tokenizer": False, "trust_remote_code": True, "dtype": "bfloat16",
     "max_train_samples": 100, "keep_linebreaks": False, "streaming": True, "warmup_ratio": 0.1,
     "split": "test", "padding": "longest", "columns": ["input_ids"], "do_train": True,
     "eval_strategy": "steps", "learning_rate": 1e-05, "num_train_epochs": 1.0, "seed": -3,
     "disable_tqdm": False, "remove_unused_columns": False, "label_names": ["labels", "start"]},
    {"use_fast_tokenizer": True, "streaming": False, "validation_split_percentage": 10, "columns": ["a", "b", "c"],
     "output_dir": "out dir/-x", "model_revision": "--main"},
]


@pytest.mark.parametrize("changes", CHANGES, ids=["many", "few"])
def test_every_value_comes_back_from_hfargumentparser(changes: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    sp = extract(True, monkeypatch)
    config = {**sp.defaults(), **changes}
    (result,) = real([build_argv(config, sp)])
    got = result["ok"]
    for key, value in config.items():
        if value is not None or sp.specs_for(key)[0].default_resolved:  # (unresolved: not passed, the script's own)
            assert strict_equal(got[key], value), (key, got[key], value)


def test_fields_read_like_dataclasses_do() -> None:
    sp = extract_params(textwrap.dedent("""
        import dataclasses
        from dataclasses import dataclass, field
        from typing import ClassVar
        from transformers import HfArgumentParser, HfArg

        @dataclass
        class Base:
            name: str
            steps: int = 10
            tags: "list[int]" = field(default_factory=list)

        @dataclasses.dataclass(frozen=True)
        class Args(Base):
            steps: int = 20
            lr: float = HfArg(default=0.1, help="learning rate", aliases="-l")
            kind: ClassVar[str] = "x"
            hidden: int = field(default=0, init=False)

        parser = HfArgumentParser(Args)
        args, = parser.parse_args_into_dataclasses()
    """), "train.py")
    assert sp.keys() == ["name", "steps", "tags", "lr"]  # the base's fields first, `steps` in its place
    assert sp.specs_for("name")[0].required
    assert sp.defaults()["steps"] == 20 and sp.defaults()["tags"] == []
    lr = sp.specs_for("lr")[0]
    assert lr.flags == ("--lr", "-l") and lr.help == "learning rate"


def test_a_bool_field_is_a_switch_in_the_form(monkeypatch: pytest.MonkeyPatch) -> None:
    sp = extract(True, monkeypatch)
    spec = sp.specs_for("trust_remote_code")[0].to_dict()
    assert field_for(("trust_remote_code",), False, spec).kind == "switch"
    maybe = sp.specs_for("disable_tqdm")[0].to_dict()  # Optional[bool] = None: true, false or unset
    assert field_for(("disable_tqdm",), None, maybe).kind != "switch"


def test_an_optional_bool_field_refuses_what_string_to_bool_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    # `tf32: maybe` (TrainingArguments' `bool | None`) was created, and each run stopped on argparse's
    # "Truthy value expected"; so did `include_num_input_tokens_seen: all` (`str | bool`: a bool there)
    from pyruns_tui.params.form_checks import check_value
    from pyruns_tui.params.form_model import build_form

    sp = extract(True, monkeypatch)
    defaults = sp.defaults()
    form = build_form(defaults, [spec.to_dict() for spec in sp.params], defaults, sp)
    field = form.field("disable_tqdm")
    assert field is not None
    assert check_value("maybe", field) == ("'maybe' is not true or false (HfArgumentParser's string_to_bool "
                                           "takes yes/no, true/false, t/f, y/n, 1/0)")
    assert check_value(2, field) is not None
    for fits in (True, False, "yes", "F", 1, None):
        assert check_value(fits, field) is None, fits
    (result,) = real([build_argv({**defaults, "disable_tqdm": "yes"}, sp)])
    assert result["ok"]["disable_tqdm"] is True
