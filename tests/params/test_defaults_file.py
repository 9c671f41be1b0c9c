"""A YAML file of defaults named by a parameter (timm's `--config`): found statically, its values
read as the script's `yaml.safe_load` reads them and laid where a task keeps the script's defaults."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pyruns_tui.errors import ParamsError
from pyruns_tui.params.argparse_ast import ScriptParams, extract_params
from pyruns_tui.params.config_default import config_default_text
from pyruns_tui.params.defaults_file import defaults_file_key, file_values, lay_file_values, load_yaml_text
from pyruns_tui.workspace.module_files import ModuleFiles

TIMM = Path(__file__).parent / "projects" / "two_parsers" / "train.py"  # timm's `_parse_args`, as in its train.py


def params_of(source: str) -> ScriptParams:
    return extract_params(textwrap.dedent(source), "train.py")


def test_timms_config_pre_pass_names_the_yaml_file_of_defaults() -> None:
    # `set_defaults(**cfg)` was a warning ("cannot be read statically; ignored") and every task
    # setting `config` recorded argparse's defaults while its run got the file's
    sp = extract_params(TIMM.read_text(), str(TIMM), finder=ModuleFiles(TIMM), script_path=str(TIMM))
    assert [s.key for s in sp.params if s.defaults_file] == ["config"]
    assert defaults_file_key(sp) == "config"
    assert sp.warnings == ()
    assert ScriptParams.from_dict(sp.to_dict()) == sp
    assert 'config: ""   # YAML config file; a YAML file of defaults: a task setting it records the file\'s values' \
        in config_default_text(sp)


HEAD = """
    import argparse
    {imports}
    parser = argparse.ArgumentParser()
    parser.add_argument("-c", "--cfg-file", dest="cfg", default="")
    parser.add_argument("--lr", type=float, default=0.1)
"""


@pytest.mark.parametrize(("imports", "body"), [
    ("import yaml", """
        args, _ = parser.parse_known_args()
        if args.cfg:
            with open(args.cfg) as fh:
                parser.set_defaults(**yaml.safe_load(fh))
        args = parser.parse_args()
    """),
    ("from yaml import safe_load as read_yaml", """
        def main():
            first = parser.parse_known_args()[0]
            cfg = read_yaml(open(first.cfg).read()) or {}
            parser.set_defaults(**cfg)
            return parser.parse_args()
        main()
    """),
    ("import yaml as Y", """
        a = parser.parse_args()
        f = open(a.cfg, "r")
        cfg = Y.load(f, Loader=Y.FullLoader)
        parser.set_defaults(**cfg)
        a = parser.parse_args()
    """),
])
def test_the_pattern_is_found_however_it_is_spelled(imports: str, body: str) -> None:
    sp = params_of(HEAD.format(imports=imports) + textwrap.dedent(body).replace("\n", "\n    "))
    assert [s.key for s in sp.params if s.defaults_file] == ["cfg"] and sp.warnings == ()


@pytest.mark.parametrize(("imports", "body"), [
    ("import json", """
        a = parser.parse_args()
        parser.set_defaults(**json.load(open(a.cfg)))
    """),
    ("import yaml", """
        with open("defaults.yaml") as f:
            parser.set_defaults(**yaml.safe_load(f))
    """),
    ("import yaml", """
        parser.set_defaults(**vars(other))
    """),
])
def test_anything_else_stays_a_warning(imports: str, body: str) -> None:
    sp = params_of(HEAD.format(imports=imports) + textwrap.dedent(body).replace("\n", "\n    "))
    assert not any(s.defaults_file for s in sp.params) and defaults_file_key(sp) is None
    assert len(sp.warnings) == 1 and "cannot be read statically; ignored" in sp.warnings[0]


def test_the_file_is_read_as_the_scripts_yaml_safe_load_reads_it() -> None:
    # PyYAML's YAML 1.1: `1e-4` is a string (argparse converts it with type=float), `yes` is true
    data = load_yaml_text("lr: 1e-4\nepochs: '20'\namp: yes\nopt: adamw\nunknown: 3\nconfig: other.yaml\n"
                          "momentum: abc\nwhen: 2024-01-01\n", "cfg.yaml")
    sp = params_of("""
        import argparse, yaml
        p = argparse.ArgumentParser()
        p.add_argument("--config", default="")
        p.add_argument("--lr", type=float, default=None)
        p.add_argument("--epochs", type=int, default=300)
        p.add_argument("--amp", action="store_true")
        p.add_argument("--opt", default="sgd")
        p.add_argument("--momentum", type=float, default=0.9)
        p.add_argument("--when", default=None)
        args, rest = p.parse_known_args()
        with open(args.config) as f:
            p.set_defaults(**yaml.safe_load(f))
        p.parse_args(rest)
    """)
    values = file_values(sp, data, "cfg.yaml")
    # the file's own parameter is the task's, a key that is no parameter is not recorded, a date
    # is no value a config holds, a string `type=` cannot read stays (the script fails on it)
    assert values == {"lr": 0.0001, "epochs": 20, "amp": True, "opt": "adamw", "momentum": "abc"}
    defaults = sp.defaults()
    config = {**defaults, "config": "cfg.yaml", "opt": "lamb"}  # opt differs from the script's default: passed
    assert lay_file_values(config, defaults, values) == {
        "config": "cfg.yaml", "lr": 0.0001, "epochs": 20, "amp": True, "opt": "lamb", "momentum": "abc", "when": None}
    launch = sp.with_defaults(values)
    assert launch.defaults()["epochs"] == 20 and sp.defaults()["epochs"] == 300
    assert file_values(sp, None, "empty.yaml") == {}
    with pytest.raises(ParamsError, match=r"^cfg.yaml: expected a mapping of parameter: value .*got list"):
        file_values(sp, [1, 2], "cfg.yaml")
    with pytest.raises(ParamsError, match=r"^cfg.yaml:2: not valid YAML: .*\(fix the file\)$"):
        load_yaml_text("a: 1\n  b: [\n", "cfg.yaml")
