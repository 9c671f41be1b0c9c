"""A YAML file of defaults named by a parameter (timm's `--config`): found statically, its values
read as the script's `yaml.safe_load` reads them and laid where a task keeps the script's defaults."""

from __future__ import annotations

import subprocess
import sys
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
    with pytest.raises(ParamsError, match=r"^empty.yaml is empty: the script gives what it loads to "):
        file_values(sp, None, "empty.yaml")  # `set_defaults(**yaml.safe_load(f))`: `**None` in every run
    with pytest.raises(ParamsError, match=r"^cfg.yaml: expected a mapping of parameter: value .*got list"):
        file_values(sp, [1, 2], "cfg.yaml")
    with pytest.raises(ParamsError, match=r"^cfg.yaml:2: not valid YAML: .*\(fix the file\)$"):
        load_yaml_text("a: 1\n  b: [\n", "cfg.yaml")


EMPTY_FILE_SCRIPTS = [
    # timm's train.py: `cfg = yaml.safe_load(f)`, then `parser.set_defaults(**cfg)`
    (TIMM.read_text(), True),  # (`if args_config.config:` guards the name, not what is loaded)
    ("""
        import argparse, sys, yaml
        parser = argparse.ArgumentParser()
        parser.add_argument("--cfg", default="")
        parser.add_argument("--lr", type=float, default=0.1)
        args, _ = parser.parse_known_args()
        with open(args.cfg) as fh:
            parser.set_defaults(**yaml.safe_load(fh))
        print(parser.parse_args())
    """, True),
    ("""
        import argparse, yaml
        parser = argparse.ArgumentParser()
        parser.add_argument("--cfg", default="")
        parser.add_argument("--lr", type=float, default=0.1)
        args, _ = parser.parse_known_args()
        cfg = yaml.safe_load(open(args.cfg).read()) or {}
        parser.set_defaults(**cfg)
        print(parser.parse_args())
    """, False),
    ("""
        import argparse, yaml
        parser = argparse.ArgumentParser()
        parser.add_argument("--cfg", default="")
        parser.add_argument("--lr", type=float, default=0.1)
        args, _ = parser.parse_known_args()
        with open(args.cfg) as fh:
            cfg = yaml.safe_load(fh)
        if cfg:
            parser.set_defaults(**cfg)
        print(parser.parse_args())
    """, False),
    ("""
        import argparse, yaml
        def main():
            parser = argparse.ArgumentParser()
            parser.add_argument("--cfg", default="")
            parser.add_argument("--lr", type=float, default=0.1)
            args = parser.parse_known_args()[0]
            cfg = yaml.safe_load(open(args.cfg))
            if cfg is not None:
                parser.set_defaults(**cfg)
            return parser.parse_args()
        print(main())
    """, False),
]


@pytest.mark.parametrize(("source", "fails"), EMPTY_FILE_SCRIPTS, ids=["timm", "star-load", "or-dict", "if-cfg", "is-not-none"])
def test_an_empty_file_of_defaults_is_refused_where_the_real_script_fails_on_it(
        tmp_path: Path, source: str, fails: bool) -> None:
    """An empty `--config` file was accepted silently, and timm's train.py then failed every run
    on `set_defaults(**None)`. The static reading says whether the script falls back (`or {}`,
    `if cfg:`), checked against the real script run on an empty file."""
    source = textwrap.dedent(source)
    (tmp_path / "train.py").write_text(source)
    (tmp_path / "empty.yaml").write_text("# nothing set yet\n")
    key = "config" if "--config" in source else "cfg"
    ran = subprocess.run([sys.executable, "train.py", f"--{key}", "empty.yaml"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)
    assert (ran.returncode != 0) == fails, ran.stderr  # the truth: the real script on an empty file
    if fails:
        assert "argument after ** must be a mapping, not NoneType" in ran.stderr
    sp = extract_params(source, "train.py")
    assert [(s.key, s.defaults_file_empty_fails) for s in sp.params if s.defaults_file] == [(key, fails)]
    assert ScriptParams.from_dict(sp.to_dict()) == sp
    data = load_yaml_text((tmp_path / "empty.yaml").read_text(), f"{key}: empty.yaml")
    if fails:
        with pytest.raises(ParamsError, match=rf"^{key}: empty.yaml is empty: .*; write parameter: value lines in it "
                                              rf"\({{}} for none\), or leave {key} empty$"):
            file_values(sp, data, f"{key}: empty.yaml")
    else:
        assert file_values(sp, data, f"{key}: empty.yaml") == {}
    # a script_info.json written before the field was read: nothing refused, as before
    old = ScriptParams.from_dict({**sp.to_dict(), "params": [
        {k: v for k, v in p.items() if k != "defaults_file_empty_fails"} for p in sp.to_dict()["params"]]})
    assert file_values(old, data, "empty.yaml") == {}
