from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from pyruns_tui.errors import WorkspaceError
from pyruns_tui.workspace.settings import DEFAULT_SETTINGS_TEXT, SETTINGS_CACHE, Settings, load_settings


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "none.yaml") == Settings()


def test_default_text_is_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(DEFAULT_SETTINGS_TEXT)
    assert load_settings(path) == Settings()


def test_values_are_read(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("max_concurrency: 8\ngpu_ids: [0, 2]\nenv: {A: 1}\nunknown_key: kept\n")
    settings = load_settings(path)
    assert settings.max_concurrency == 8 and settings.gpu_ids == (0, 2) and settings.env == {"A": "1"}


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("max_concurrency: 0", "max_concurrency"),
        ("max_concurrency: many", "max_concurrency"),
        ("max_concurrency: true", "max_concurrency"),
        ("gpu_ids: [a]", "gpu_ids"),
        ("gpu_max_util_pct: 101", "gpu_max_util_pct"),
        ("refresh_hz: -1", "refresh_hz"),
        ("env: [1, 2]", "env"),
        ("python: ''", "python"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(text + "\n")
    with pytest.raises(WorkspaceError, match=f"setting '{key}'"):
        load_settings(path)


def test_malformed_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("a: 1\nb: [\n")
    with pytest.raises(WorkspaceError, match=r"s\.yaml:\d+: settings are not valid YAML"):
        load_settings(path)


def test_non_mapping_root_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("- 1\n- 2\n")
    with pytest.raises(WorkspaceError, match="must be a mapping"):
        load_settings(path)


def test_save_setting_changes_one_line_and_keeps_the_comments(tmp_path: Path) -> None:
    from pyruns_tui.workspace.settings import save_setting

    path = tmp_path / "_pyruns_settings.yaml"
    path.write_text(DEFAULT_SETTINGS_TEXT)
    save_setting(path, "confirm_stop", False)
    assert load_settings(path).confirm_stop is False
    changed = [(a, b) for a, b in zip(DEFAULT_SETTINGS_TEXT.splitlines(), path.read_text().splitlines()) if a != b]
    assert changed == [("confirm_stop: true        # the TUI asks before stopping running tasks",
                        "confirm_stop: false       # the TUI asks before stopping running tasks")]
    save_setting(path, "confirm_stop", True)
    assert path.read_text() == DEFAULT_SETTINGS_TEXT
    path.unlink()
    save_setting(path, "confirm_stop", False)
    assert path.read_text() == "confirm_stop: false\n"
    with pytest.raises(WorkspaceError, match="true or false"):
        save_setting(path, "confirm_stop", "no")  # type: ignore[arg-type]


def test_failure_settings(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("pause_after_failures: {count: 5, within_s: 120}\nretries: 2\nretry_on: 'NCCL|OOM'\n")
    settings = load_settings(path)
    assert (settings.pause_after_failures.count, settings.pause_after_failures.within_s) == (5, 120.0)
    assert (settings.retries, settings.retry_on) == (2, "NCCL|OOM")
    path.write_text("pause_after_failures: null\n")
    assert load_settings(path).pause_after_failures.count == 0
    for text, key in (("pause_after_failures: 3\n", "pause_after_failures"),
                      ("pause_after_failures: {count: -1}\n", "pause_after_failures.count"),
                      ("pause_after_failures: {within_s: 0}\n", "pause_after_failures.within_s"),
                      ("retries: 101\n", "retries"), ("retry_on: '('\n", "retry_on")):
        path.write_text(text)
        with pytest.raises(WorkspaceError, match=key.replace(".", r"\.")):
            load_settings(path)


def test_output_metrics_rules_add_drop_and_opt_out(tmp_path: Path) -> None:
    from pyruns_tui.logs.output_metrics import DEFAULT_RULES

    path = tmp_path / "s.yaml"
    path.write_text("output_metrics:\n  top1: 'Top-1 (?P<value>[0-9.]+)'\n  spaced: null\n")
    rules = dict(load_settings(path).output_metrics)
    assert rules == {"key_value": DEFAULT_RULES["key_value"], "dict": DEFAULT_RULES["dict"],
                     "percent": DEFAULT_RULES["percent"], "top1": "Top-1 (?P<value>[0-9.]+)"}
    path.write_text("output_metrics: false\n")
    assert load_settings(path).output_metrics == ()


@pytest.mark.parametrize(("text", "message"), [
    ("output_metrics: [a]", "'output_metrics' must be false or a mapping"),
    ("output_metrics: {acc: 'acc=('}", "rule 'acc' is not a valid regex"),
    ("output_metrics: {acc: 3}", "'output_metrics.acc' must be a regex string"),
])
def test_bad_output_metrics_are_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(text + "\n")
    with pytest.raises(WorkspaceError, match=message):
        load_settings(path)


# the parsed settings are cached next to the file (.settings_cache.json) with the text they came
# from: a command then starts without importing PyYAML (~11 ms of every `pyr-tui run`)

def load_in_fresh_process(path: Path) -> tuple[int, bool]:
    """(max_concurrency, whether PyYAML got imported) of load_settings(path) in a new interpreter."""
    code = ("import sys; from pathlib import Path; from pyruns_tui.workspace.settings import load_settings\n"
            f"s = load_settings(Path({str(path)!r})); print(s.max_concurrency, 'yaml' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()
    return int(out[0]), out[1] == "True"


def test_settings_once_parsed_are_read_without_yaml(tmp_path: Path) -> None:
    path = tmp_path / "_pyruns_settings.yaml"
    path.write_text(DEFAULT_SETTINGS_TEXT.replace("max_concurrency: 4 ", "max_concurrency: 6 "))
    assert load_in_fresh_process(path) == (6, True)
    assert stat.S_IMODE((tmp_path / SETTINGS_CACHE).stat().st_mode) == 0o600  # env may hold secrets
    assert load_in_fresh_process(path) == (6, False)
    assert load_settings(path) == load_settings_uncached(path)


def load_settings_uncached(path: Path) -> Settings:
    (path.parent / SETTINGS_CACHE).unlink(missing_ok=True)
    return load_settings(path)


def test_an_edit_is_seen_at_once_whatever_its_size_and_time(tmp_path: Path) -> None:
    path = tmp_path / "_pyruns_settings.yaml"
    path.write_text("max_concurrency: 4\n")
    assert load_settings(path).max_concurrency == 4
    stamp = path.stat().st_mtime_ns
    path.write_text("max_concurrency: 5\n")  # same size, same instant: the text itself is compared
    os.utime(path, ns=(stamp, stamp))
    assert load_settings(path).max_concurrency == 5
    path.write_text("max_concurrency: [\n")
    with pytest.raises(WorkspaceError, match="not valid YAML"):
        load_settings(path)


def test_a_cache_someone_else_could_have_written_is_not_used(tmp_path: Path) -> None:
    path = tmp_path / "_pyruns_settings.yaml"
    path.write_text("max_concurrency: 4\n")
    cache = tmp_path / SETTINGS_CACHE
    planted = json.dumps({"text": "max_concurrency: 4\n", "data": {"max_concurrency": 99}})
    cache.write_text(planted)
    cache.chmod(0o666)  # writable by anyone
    assert load_settings(path).max_concurrency == 4
    if os.geteuid() == 0:  # root can plant one as another user
        cache.write_text(planted)
        cache.chmod(0o600)
        os.chown(cache, 65534, 65534)
        assert load_settings(path).max_concurrency == 4
    outside = tmp_path / "outside.json"
    outside.write_text(planted)
    cache.unlink()
    cache.symlink_to(outside)  # never followed: neither read nor written through
    assert load_settings(path).max_concurrency == 4
    assert outside.read_text() == planted and not cache.is_symlink()
    for garbage in ("", "[1]", "{\"text\": 1}", "\x00\xff"):
        cache.write_text(garbage)
        cache.chmod(0o600)
        assert load_settings(path).max_concurrency == 4


def test_settings_json_cannot_hold_are_parsed_each_time(tmp_path: Path) -> None:
    path = tmp_path / "_pyruns_settings.yaml"
    path.write_text("max_concurrency: 3\nstarted: 2024-01-01\n")  # an unknown key holding a date
    settings = load_settings(path)
    assert settings.max_concurrency == 3 and "started" in settings.warnings[0]
    assert not (tmp_path / SETTINGS_CACHE).exists()
