"""pr.load(): where the config comes from, how it is typed, and the Config object."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

import pyruns_tui as pr
from pyruns_tui.errors import ParamsError
from tests.api.conftest import run_script, task_env, write_script

CONFIG_TEXT = """\
lr: 1e-3
epochs: 3
flag: yes
model:
  depth: 18
  layers: [{width: 64}, {width: 128}]
"""

PRINT_CONFIG = """\
import json, pyruns_tui as pr
print(json.dumps(pr.load().to_dict()))
"""


def test_load_reads_the_file_named_by_the_task_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG_TEXT)
    monkeypatch.setenv("__PYRUNS_CONFIG__", str(config))
    cfg = pr.load()
    assert cfg.epochs == 3
    assert cfg.model.depth == 18


def test_an_explicit_path_wins_over_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "env.yaml").write_text("source: env\n")
    (tmp_path / "given.yaml").write_text("source: given\n")
    monkeypatch.setenv("__PYRUNS_CONFIG__", str(tmp_path / "env.yaml"))
    assert pr.load(tmp_path / "given.yaml").source == "given"
    assert pr.load(str(tmp_path / "given.yaml")).source == "given"


def test_values_follow_the_yaml_1_2_core_schema(tmp_path: Path) -> None:
    pytest.importorskip("pyruns_tui.params.yamlio")
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG_TEXT)
    cfg = pr.load(config)
    assert cfg.lr == 1e-3 and isinstance(cfg.lr, float)
    assert cfg.flag == "yes"


def test_outside_a_task_the_workspace_default_is_found_above_the_script(tmp_path: Path) -> None:
    default = tmp_path / "_pyruns_" / "train" / "config_default.yaml"
    default.parent.mkdir(parents=True)
    default.write_text("where: workspace\n")
    scripts = tmp_path / "src" / "deep"
    scripts.mkdir(parents=True)
    script = write_script(scripts, PRINT_CONFIG, name="train.py")
    result = run_script(script, task_env(None), cwd=tmp_path / "src")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '{"where": "workspace"}'


def test_outside_a_task_a_yaml_beside_the_script_is_the_last_resort(tmp_path: Path) -> None:
    script = write_script(tmp_path, PRINT_CONFIG, name="exp.py")
    (tmp_path / "exp.yaml").write_text("where: beside\n")
    result = run_script(script, task_env(None))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '{"where": "beside"}'


def test_the_task_config_wins_over_the_workspace_default(tmp_path: Path) -> None:
    default = tmp_path / "_pyruns_" / "train" / "config_default.yaml"
    default.parent.mkdir(parents=True)
    default.write_text("where: workspace\n")
    task_config = tmp_path / "task_config.yaml"
    task_config.write_text("where: task\n")
    script = write_script(tmp_path, PRINT_CONFIG, name="train.py")
    result = run_script(script, task_env(None, config=task_config))
    assert result.stdout.strip() == '{"where": "task"}', result.stderr


def test_without_any_config_load_raises_a_one_line_error_naming_the_script(tmp_path: Path) -> None:
    script = write_script(
        tmp_path,
        """\
        import pyruns_tui as pr
        from pyruns_tui.errors import ParamsError
        try:
            pr.load()
        except ParamsError as exc:
            print(exc)
        """,
        name="lonely.py",
    )
    result = run_script(script, task_env(None))
    message = result.stdout.strip()
    assert "\n" not in message
    assert "lonely.py" in message and "_pyruns_/lonely/config_default.yaml" in message


def test_a_missing_explicit_file_is_a_params_error(tmp_path: Path) -> None:
    with pytest.raises(ParamsError, match="not found"):
        pr.load(tmp_path / "nope.yaml")


def test_an_environment_pointing_nowhere_is_a_params_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("__PYRUNS_CONFIG__", str(tmp_path / "gone" / "config.yaml"))
    with pytest.raises(ParamsError, match="__PYRUNS_CONFIG__"):
        pr.load()


def test_a_config_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "list.yaml"
    config.write_text("- 1\n- 2\n")
    with pytest.raises(ParamsError, match="mapping"):
        pr.load(config)


def test_invalid_yaml_is_a_params_error(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("a: [1, 2\nb: 3\n")
    with pytest.raises(ParamsError, match="bad.yaml"):
        pr.load(config)


def test_an_empty_file_is_an_empty_config(tmp_path: Path) -> None:
    config = tmp_path / "empty.yaml"
    config.write_text("")
    assert len(pr.load(config)) == 0


def test_config_gives_attribute_and_item_access_at_every_depth() -> None:
    cfg = pr.Config({"model": {"depth": 18, "layers": [{"width": 64}]}, "lr": 0.1})
    assert cfg.model.depth == cfg["model"]["depth"] == 18
    assert cfg.model.layers[0].width == 64
    assert isinstance(cfg.model, pr.Config)
    assert cfg.get("lr") == 0.1 and cfg.get("missing", 5) == 5
    assert "lr" in cfg and "missing" not in cfg
    assert list(cfg) == ["model", "lr"]
    assert len(cfg) == 2
    assert dict(**cfg)["lr"] == 0.1


def test_unknown_attribute_names_the_key_and_lists_the_available_ones() -> None:
    cfg = pr.Config({"lr": 0.1, "epochs": 3})
    with pytest.raises(AttributeError) as info:
        cfg.learning_rate  # noqa: B018
    assert "learning_rate" in str(info.value)
    assert "lr" in str(info.value) and "epochs" in str(info.value)
    with pytest.raises(KeyError, match="learning_rate"):
        cfg["learning_rate"]
    assert not hasattr(cfg, "missing")


def test_mutation_through_either_access_style_reaches_to_dict() -> None:
    cfg = pr.Config({"model": {"depth": 18}})
    cfg.model.depth = 34
    cfg["lr"] = 0.5
    cfg.extra = {"a": 1}
    assert cfg.extra.a == 1
    assert cfg.to_dict() == {"model": {"depth": 34}, "lr": 0.5, "extra": {"a": 1}}
    del cfg.extra
    assert "extra" not in cfg


def test_to_dict_is_a_deep_plain_copy() -> None:
    cfg = pr.Config({"model": {"layers": [{"width": 64}]}})
    plain = cfg.to_dict()
    assert type(plain["model"]) is dict and type(plain["model"]["layers"][0]) is dict
    plain["model"]["layers"][0]["width"] = 1
    assert cfg.model.layers[0].width == 64


def test_config_equality_repr_and_pickle() -> None:
    cfg = pr.Config({"a": 1, "b": {"c": [1, 2]}})
    assert cfg == {"a": 1, "b": {"c": [1, 2]}}
    assert cfg == pr.Config({"a": 1, "b": {"c": [1, 2]}})
    assert cfg != {"a": 2}
    assert repr(cfg) == "Config({'a': 1, 'b': {'c': [1, 2]}})"
    assert pickle.loads(pickle.dumps(cfg)) == cfg


def test_keys_shadowing_methods_stay_reachable_by_item_access() -> None:
    cfg = pr.Config({"items": 3, "get": "x", "1st": True})
    assert cfg["items"] == 3 and cfg["get"] == "x" and cfg["1st"] is True
    assert callable(cfg.items)
    assert "items" in dir(cfg)
