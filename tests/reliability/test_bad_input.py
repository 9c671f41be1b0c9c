"""Bad input corpus: each case drives the real CLI as a subprocess on a damaged project.

Every case checks: the documented exit code (0 ok, 1 failure, 2 usage), one clear error line
and no traceback on stderr, and nothing written outside the workspace (the whole tmp tree —
project, a victim folder beside it, and the private HOME — is snapshotted before and after).
Failing commands must not write inside the workspace either (caches and lock files aside).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.reliability.harness import (
    assert_clean_error,
    changed_paths,
    clone_project,
    fake_finished_run,
    make_project,
    outside,
    pyr,
    read_info,
    snapshot,
    task_dir,
    write_info,
)

T1 = "t_1-of-2"
Setup = Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    """One bad input: what to damage, which command to run, what must come out."""

    id: str
    args: tuple[str, ...]
    code: int
    err: str = ""  # regex the error line must match (case-insensitive)
    spec: str | bytes | None = None  # written to proj/spec.yaml before the run
    setup: Setup | None = None
    writes: bool = False  # may the command write inside the workspace?
    stdin: str | None = None
    check: Callable[[Path, str], None] | None = field(default=None, compare=False)
    timeout: float = 30.0


def _write(rel: str, data: str | bytes) -> Setup:
    def setup(proj: Path) -> None:
        path = proj / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
    return setup


def _settings(text: str | bytes) -> Setup:
    return _write("_pyruns_/_pyruns_settings.yaml", text)


def _task_file(name: str, data: str | bytes, task: str = T1) -> Setup:
    return _write(f"_pyruns_/train/tasks/{task}/{name}", data)


def _info_patch(**changes: object) -> Setup:
    def setup(proj: Path) -> None:
        info = read_info(proj, T1)
        info.update(changes)
        write_info(proj, T1, info)
    return setup


def _info_raw(text: str) -> Setup:
    return _task_file("task_info.json", text)


def _victim(proj: Path) -> None:
    """A task-looking folder outside the project: `../victim` next to `proj`."""
    victim = proj.parent / "victim"
    victim.mkdir(exist_ok=True)
    (victim / "task_info.json").write_text(json.dumps({"name": "victim", "status": "pending", "runs": []}))
    (victim / "config.yaml").write_text("lr: 1\n")


def _log(data: bytes) -> Setup:
    return lambda proj: fake_finished_run(proj, T1, data)


def _replace_with_dir(rel: str) -> Setup:
    def setup(proj: Path) -> None:
        path = proj / rel
        path.unlink()
        path.mkdir()
    return setup


def _chain(*setups: Setup) -> Setup:
    def setup(proj: Path) -> None:
        for s in setups:
            s(proj)
    return setup


def _listed(*names: str) -> Callable[[Path, str], None]:
    def check(proj: Path, out: str) -> None:
        assert [t["name"] for t in json.loads(out)] == list(names)
    return check


def _unreadable_shown(proj: Path, out: str) -> None:
    tasks = {t["name"]: t for t in json.loads(out)}
    assert tasks[T1]["status"] == "failed" and "unreadable" in (tasks[T1]["reason"] or "")


def _plain_has(text: str) -> Callable[[Path, str], None]:
    return lambda proj, out: _assert_in(text, out)


def _assert_in(text: str, out: str) -> None:
    assert text in out, out[:500]


def _big_line_whole(proj: Path, out: str) -> None:
    lines = out.split("\n")
    assert set("".join(lines[:-1])) == {"x"} and sum(map(len, lines)) == BIG, [len(x) for x in lines[:3]]


BIG = 50 * 1024 * 1024
BOMB = "tag: [" + ", ".join(
    ["&l0 [x,x,x,x,x,x,x,x,x]"] + [f"&l{i} [" + ",".join([f"*l{i-1}"] * 9) + "]" for i in range(1, 9)]) + "]\n"
DEEP_SCRIPT = "import argparse\nx = " + "-" * 200_000 + "1\n"
DYNAMIC_SCRIPT = """\
import argparse, os
p = argparse.ArgumentParser()
for name in sorted(os.environ)[:3]:
    p.add_argument("--" + name.lower())
p.add_argument(*["--lr"], default=os.environ.get("LR", 0.1))
p.parse_args()
"""

CASES: list[Case] = [
    # malformed spec YAML (gen)
    Case("spec-unclosed-flow", ("gen", "spec.yaml"), 1, r"spec\.yaml:\d+:\d+: invalid YAML", spec="lr: [1, 2\n"),
    Case("spec-bad-indent", ("gen", "spec.yaml"), 1, "invalid YAML", spec="lr: 1\n  seed: 2\n"),
    Case("spec-tab-indent", ("gen", "spec.yaml"), 1, "invalid YAML", spec="lr: 1\n\tseed: 2\n"),
    Case("spec-invalid-utf8", ("gen", "spec.yaml"), 1, "cannot read", spec=b"lr: \xff\xfe\n"),
    Case("spec-duplicate-key", ("gen", "spec.yaml"), 1, "duplicate key", spec="lr: 1\nlr: 2\n"),
    Case("spec-two-documents", ("gen", "spec.yaml"), 1, "invalid YAML", spec="lr: 1\n---\nlr: 2\n"),
    Case("spec-python-tag", ("gen", "spec.yaml"), 1, "invalid YAML", spec="lr: !!python/object/apply:os.system [id]\n"),
    Case("spec-deep-nesting", ("gen", "spec.yaml"), 1, "nested too deeply|invalid YAML",
         spec="tag: " + "[" * 50_000 + "]" * 50_000 + "\n"),
    Case("spec-alias-bomb", ("gen", "spec.yaml", "--dry-run"), 1, "alias|expand|too (big|large|many)", spec=BOMB),
    Case("spec-missing-file", ("gen", "nope.yaml"), 1, "nope.yaml: cannot read"),
    # a value of megabytes was quoted whole in the error line
    Case("spec-long-key", ("gen", "spec.yaml"), 1, r"unknown parameter 'x+…\[1,003 characters\]…x+': the script",
         spec="x" * 1000 + ": 1\n"),
    # a mapping under a parameter became a section of its own: created, and every run failed
    Case("spec-mapping-for-a-float", ("gen", "spec.yaml", "--run"), 1, r"lr: \{a: \{b: 1\}\} is not a number",
         spec="lr: {a: {b: 1}}\n"),
    # a status or pinned value no task can have matched every task (`status:`), or none, silently
    Case("query-status-empty", ("ls", "status:"), 1, r"'status:' names no status \(statuses: pending, queued"),
    Case("query-status-unknown", ("ls", "status:done"), 1, r"'status:done' names no status"),
    Case("query-pinned-maybe", ("export", "pinned:maybe"), 1, r"'pinned:maybe' needs yes or no"),
    Case("spec-huge-choice", ("gen", "spec.yaml"), 1, r"'x+…\[3,000,002 characters\]…x+' is not one of the choices \(adam, sgd\)",
         spec="opt: " + "x" * 3_000_000 + "\n"),
    Case("spec-is-directory", ("gen", "."), 1, "cannot read"),
    Case("spec-stdin-garbage", ("gen", "-"), 1, "<stdin>.*invalid YAML", stdin="{{{ [[[\n"),
    Case("spec-empty-file", ("gen", "spec.yaml", "-n", "empty"), 0, spec="", writes=True),
    Case("spec-only-comment", ("gen", "spec.yaml", "-n", "c"), 0, spec="# nothing here\n", writes=True),
    # non-mapping roots
    Case("spec-root-list", ("gen", "spec.yaml"), 1, "must be a mapping", spec="- 1\n- 2\n"),
    Case("spec-root-int", ("gen", "spec.yaml"), 1, "must be a mapping", spec="42\n"),
    Case("spec-root-string", ("gen", "spec.yaml"), 1, "must be a mapping", spec="hello world\n"),
    Case("spec-int-key", ("gen", "spec.yaml"), 1, "unknown parameter", spec="1: 2\n"),
    Case("spec-null-key", ("gen", "spec.yaml"), 1, "unknown parameter", spec="~: 2\n"),
    # grid errors and huge grids
    Case("grid-zip-length-mismatch", ("gen", "spec.yaml"), 1, r"lr.*2.*seed.*3|length",
         spec="lr: (0.1 | 0.2)\nseed: (1 | 2 | 3)\n"),
    Case("grid-empty-item", ("gen", "spec.yaml"), 1, "empty", spec="seed: 1 | | 2\n"),
    Case("grid-step-zero", ("gen", "spec.yaml"), 1, "step", spec="seed: 0:10:0\n"),
    Case("grid-empty-range", ("gen", "spec.yaml"), 1, "empty|no values", spec="seed: 5:1\n"),
    Case("grid-partial-parens", ("gen", "spec.yaml"), 1, "paren|zip|\\(", spec="tag: (a | b) | c\n"),
    Case("grid-over-max-tasks", ("gen", "spec.yaml"), 1, r"1,?000,?000", spec="lr: 0:1000\nseed: 0:1000\n"),
    Case("grid-astronomic-count", ("gen", "spec.yaml", "--dry-run"), 1, "max_tasks|at most|too many",
         spec="lr: 0:1e12\nseed: 0:1e12\ntag: a | b\n"),
    # (`tag` is a parameter of the script: a mapping under it is refused first, as quickly)
    Case("grid-forty-fields", ("gen", "spec.yaml", "--dry-run"), 1, "max_tasks|at most|too many|holds a mapping",
         spec="tag:\n" + "".join(f"  k{i}: a | b\n" for i in range(40))),
    Case("grid-range-1e999", ("gen", "spec.yaml"), 1, "1e999|number|range", spec="seed: 0:1e999\n"),
    Case("grid-unknown-param", ("gen", "spec.yaml"), 1, "did you mean 'lr'", spec="lrr: 0.1\n"),
    Case("grid-settings-max-tasks", ("gen", "spec.yaml"), 1, r"\b4\b", spec="seed: 0:4\n",
         setup=_settings("max_tasks: 3\n")),
    # a NUL cannot reach the script's command line: refused before a task is written (it failed every launch)
    Case("grid-nul-in-value", ("gen", "spec.yaml", "-n", "nul"), 1, "tag: contains a NUL character",
         spec='tag: "a\\0b"\n'),
    # task names (gen -n PREFIX)
    Case("name-dotdot-slash", ("gen", "spec.yaml", "-n", "../evil"), 1, "invalid task name", spec="seed: 1\n"),
    Case("name-slash", ("gen", "spec.yaml", "-n", "a/b"), 1, "invalid task name", spec="seed: 1\n"),
    Case("name-absolute", ("gen", "spec.yaml", "-n", "/tmp/evil"), 1, "invalid task name", spec="seed: 1\n"),
    Case("name-backslash", ("gen", "spec.yaml", "-n", "a\\b"), 1, "invalid task name", spec="seed: 1\n"),
    Case("name-newline", ("gen", "spec.yaml", "-n", "a\nb"), 1, "control", spec="seed: 1\n"),
    Case("name-tab", ("gen", "spec.yaml", "-n", "a\tb"), 1, "control", spec="seed: 1\n"),
    Case("name-10kB", ("gen", "spec.yaml", "-n", "n" * 10_000), 1, "at most 200", spec="seed: 1\n"),
    Case("name-dot", ("gen", "spec.yaml", "-n", "."), 1, "invalid task name", spec="seed: 1\n"),
    Case("name-dotdot", ("gen", "spec.yaml", "-n", ".."), 1, "invalid task name", spec="seed: 1\n"),
    Case("name-reserved-trash", ("gen", "spec.yaml", "-n", ".trash"), 1, "invalid task name", spec="seed: 1\n"),
    Case("name-leading-dash", ("gen", "spec.yaml", "-n=-rf"), 1, "invalid task name", spec="seed: 1\n"),
    Case("name-trailing-space", ("gen", "spec.yaml", "-n", "a "), 1, "whitespace", spec="seed: 1\n"),
    Case("name-inner-space", ("gen", "spec.yaml", "-n", "my run"), 1, "use 'my_run'", spec="seed: 1 | 2\n"),
    Case("name-bidi-override", ("gen", "spec.yaml", "-n", "a\u202eb"), 1, "control", spec="seed: 1\n"),
    Case("name-zero-width", ("gen", "spec.yaml", "-n", "a\u200bb"), 1, "control", spec="seed: 1\n"),
    Case("name-suffix-over-200", ("gen", "spec.yaml", "-n", "p" * 198), 1, "at most 200", spec="seed: 1 | 2\n"),
    Case("name-over-255-bytes", ("gen", "spec.yaml", "-n", "é" * 150), 1, "at most 240 bytes", spec="seed: 1\n"),
    Case("name-unicode-ok", ("gen", "spec.yaml", "-n", "学习率-ü-🚀"), 0, spec="seed: 1\n", writes=True),
    # task names given to show/note/rm/restore/pin/log
    Case("show-dotdot", ("show", ".."), 1, "no task named"),
    Case("show-absolute", ("show", "/etc"), 1, "no task named"),
    Case("show-traversal", ("show", "../../../../victim"), 1, "no task named", setup=_victim),
    Case("note-traversal", ("note", "../../../../victim", "pwned"), 1, "no task named", setup=_victim),
    # a log piped in by mistake became notes copied with every change of the record
    Case("note-too-long", ("note", T1, "-"), 1, r"the notes of t_1-of-2 would be 300,000 characters, over the 100,000",
         stdin="n" * 300_000),
    Case("note-append-over", ("note", "-a", T1, "-"), 1, r"would be 100,041 characters", stdin="y" * 50,
         setup=_info_patch(notes="x" * 99_990)),
    # bytes that are not UTF-8 in a value bound for a record: a 20-line traceback (UnicodeEncodeError)
    Case("note-not-utf8", ("note", T1, "x\udcff"), 1, r"not valid UTF-8 text \(bytes 0xff\)"),
    Case("note-append-not-utf8", ("note", "-a", T1, "caf\udce9"), 1, r"not valid UTF-8 text \(bytes 0xe9\)"),
    Case("pin-param-not-utf8", ("pin", "--param", "x\udcff"), 1, "unknown parameter"),
    Case("retry-on-not-utf8", ("run", T1, "--retries", "1", "--retry-on", "x\udcff"), 2, "not valid UTF-8"),
    # an sbatch option the runner sets itself: the later one won and the runner lost its array
    Case("sbatch-arg-job-name", ("run", T1, "--executor", "slurm", "--sbatch-arg=--job-name=mine"), 2,
         r"'--job-name=mine' sets --job-name, which the runner sets itself"),
    Case("sbatch-arg-short-output", ("run", T1, "--executor", "slurm", "--sbatch-arg=-o/tmp/x"), 2, "sets --output"),
    Case("settings-extra-args-array", ("run", T1), 1, r"slurm\.extra_args: '--array=0-3' sets --array",
         setup=_settings("slurm:\n  extra_args: ['--array=0-3']\n")),
    Case("pin-traversal", ("pin", "../../../../victim"), 1, "no task named", setup=_victim),
    Case("rm-traversal", ("rm", "../../../../victim"), 1, "no task named", setup=_victim),
    Case("rm-self-relative", ("rm", f"../tasks/{T1}"), 1, "no task named"),
    Case("restore-dotdot", ("restore", ".."), 1, "no task named"),
    Case("restore-traversal", ("restore", "../../../../../victim"), 1, "no task named", setup=_victim),
    Case("log-traversal", ("log", "../../../../victim"), 1, "no task named", setup=_victim),
    Case("show-10kB-name", ("show", "n" * 10_000), 1, "no task named"),
    Case("show-newline-name", ("show", "a\nb"), 1, "no task named"),
    Case("show-unicode-missing", ("show", "ü"), 1, "no task named"),
    Case("show-hidden-staging", ("show", ".trash"), 1, "no task named"),
    # scripts (init)
    Case("script-syntax-error", ("init", "bad.py"), 1, r"bad\.py:1: syntax error", setup=_write("bad.py", "def f(:\n")),
    Case("script-no-argparse", ("init", "plain.py"), 0, setup=_write("plain.py", "print('hi')\n"), writes=True),
    Case("script-dynamic-add-argument", ("init", "dyn.py"), 0, setup=_write("dyn.py", DYNAMIC_SCRIPT), writes=True),
    Case("script-null-bytes", ("init", "nul.py"), 1, "null|cannot parse", setup=_write("nul.py", b"x = 1\0\n")),
    Case("script-invalid-utf8", ("init", "latin.py"), 1, "cannot read",
         setup=_write("latin.py", b"# caf\xe9\nimport argparse\n")),
    Case("script-deep-expression", ("init", "deep.py"), 1, "deep.py", setup=_write("deep.py", DEEP_SCRIPT)),
    Case("script-missing", ("init", "nope.py"), 1, r"nope\.py: no such file"),  # (it said "not a Python script")
    Case("script-not-py", ("init", "notes.txt"), 1, "not a Python script", setup=_write("notes.txt", "x")),
    Case("script-is-directory", ("init", "pkg.py"), 1, "not a Python script", setup=_write("pkg.py/x", "")),
    Case("script-empty", ("init", "empty.py"), 0, setup=_write("empty.py", ""), writes=True),
    Case("init-config-garbage", ("init", "train.py", "bad.yaml"), 1, "invalid YAML",
         setup=_write("bad.yaml", "::: [[[\n")),
    Case("init-config-list-root", ("init", "train.py", "list.yaml"), 1, "mapping", setup=_write("list.yaml", "- 1\n")),
    Case("init-reserved-shell-name", ("-w", "_shell_", "init", "train.py"), 1, "reserved"),
    Case("init-workspace-traversal", ("-w", "../../evil", "init", "train.py"), 1, "workspace"),
    Case("init-workspace-absolute", ("-w", "/tmp/pyruns_evil_ws", "init", "train.py"), 1, "workspace"),
    # settings with wrong types (read by gen)
    Case("settings-int-as-word", ("gen", "spec.yaml", "--dry-run"), 1, "'max_concurrency'", spec="seed: 1\n",
         setup=_settings("max_concurrency: four\n")),
    Case("settings-negative-max-tasks", ("gen", "spec.yaml", "--dry-run"), 1, "'max_tasks'", spec="seed: 1\n",
         setup=_settings("max_tasks: -1\n")),
    Case("settings-bool-as-int", ("gen", "spec.yaml", "--dry-run"), 1, "'max_tasks'", spec="seed: 1\n",
         setup=_settings("max_tasks: yes\n")),
    Case("settings-gpu-ids-word", ("gen", "spec.yaml", "--dry-run"), 1, "'gpu_ids'", spec="seed: 1\n",
         setup=_settings("gpu_ids: all\n")),
    Case("settings-env-list", ("gen", "spec.yaml", "--dry-run"), 1, "'env'", spec="seed: 1\n",
         setup=_settings("env: [A, B]\n")),
    Case("settings-env-nested", ("gen", "spec.yaml", "--dry-run"), 1, "'env'", spec="seed: 1\n",
         setup=_settings("env: {A: {b: 1}}\n")),
    Case("settings-refresh-nan", ("gen", "spec.yaml", "--dry-run"), 1, "'refresh_hz'", spec="seed: 1\n",
         setup=_settings("refresh_hz: .nan\n")),
    Case("settings-python-empty", ("gen", "spec.yaml", "--dry-run"), 1, "'python'", spec="seed: 1\n",
         setup=_settings('python: ""\n')),
    Case("settings-root-list", ("gen", "spec.yaml", "--dry-run"), 1, "mapping", spec="seed: 1\n",
         setup=_settings("- 1\n")),
    Case("settings-invalid-yaml", ("gen", "spec.yaml", "--dry-run"), 1, "not valid YAML", spec="seed: 1\n",
         setup=_settings("max_tasks: [\n")),
    Case("settings-invalid-utf8", ("gen", "spec.yaml", "--dry-run"), 1, "cannot read settings", spec="seed: 1\n",
         setup=_settings(b"max_tasks: \xff\n")),
    Case("settings-is-directory", ("gen", "spec.yaml", "--dry-run"), 1, "settings", spec="seed: 1\n",
         setup=_replace_with_dir("_pyruns_/_pyruns_settings.yaml")),
    Case("settings-unknown-key", ("gen", "spec.yaml", "--dry-run"), 0, spec="seed: 1\n", setup=_settings("foo: 1\n")),
    # hand-edited task files
    Case("config-garbage-show", ("show", T1), 0, setup=_task_file("config.yaml", "::: [[[\n"),  # the rest is shown
         check=_plain_has("\nbroken:  ")),
    Case("config-garbage-ls", ("ls", "--json"), 0, setup=_task_file("config.yaml", "::: [[[\n"),
         check=_listed(T1, "t_2-of-2")),
    Case("config-list-root-show", ("show", T1), 0, setup=_task_file("config.yaml", "- 1\n"),
         check=_plain_has("config.yaml: config must be a mapping of key: value\nruns:    0\n")),
    Case("config-invalid-utf8-ls", ("ls", "seed:1", "--json"), 0, setup=_task_file("config.yaml", b"seed: \xff\n"),
         check=_listed("t_2-of-2")),
    Case("config-missing-show", ("show", T1), 0, setup=lambda p: (task_dir(p, T1) / "config.yaml").unlink()),
    Case("info-garbage-ls", ("ls", "--json"), 0, setup=_info_raw("{not json"), check=_unreadable_shown),
    Case("info-garbage-note", ("note", T1, "hi"), 1, "unreadable", setup=_info_raw("{not json")),
    Case("info-missing-ls", ("ls", "--json"), 0, setup=lambda p: (task_dir(p, T1) / "task_info.json").unlink(),
         check=_listed("t_2-of-2")),
    Case("info-missing-show", ("show", T1), 1, "no task named",
         setup=lambda p: (task_dir(p, T1) / "task_info.json").unlink()),
    Case("info-bad-status", ("ls", "--json"), 0, setup=_info_patch(status="bogus"), check=_unreadable_shown),
    Case("info-runs-string", ("ls", "--json"), 0, setup=_info_patch(runs="abc"), check=_unreadable_shown),
    Case("info-runs-ints", ("ls", "--json"), 0, setup=_info_patch(runs=[1, 2]), check=_unreadable_shown),
    Case("info-created-at-int", ("ls", "--json"), 0, setup=_info_patch(created_at=5)),
    # epoch seconds (records before ISO queue times) that are no time: a traceback (OverflowError)
    Case("info-queued-at-absurd-ls", ("ls", "--json"), 0, setup=_info_patch(queued_at=1e20), check=_unreadable_shown),
    Case("info-queued-at-absurd-show", ("show", T1), 0, "'queued_at' is not a time",
         setup=_info_patch(queued_at=-1e20)),
    Case("info-queued-at-nan", ("ls", "--json"), 0, setup=_info_raw(
        '{"schema_version": 1, "name": "t_1-of-2", "status": "pending", "queued_at": NaN, "runs": []}'),
         check=_unreadable_shown),
    Case("info-nan-notes", ("ls", "--json"), 0, setup=_info_raw(
        '{"schema_version": 1, "name": "t_1-of-2", "status": "pending", "notes": NaN, "runs": []}')),
    Case("info-array-root", ("ls", "--json"), 0, setup=_info_raw("[]"), check=_unreadable_shown),
    Case("info-unknown-keys-kept", ("note", T1, "hello"), 0, setup=_info_patch(custom={"k": [1, 2]}), writes=True,
         check=lambda p, out: _assert_in('"custom"', (task_dir(p, T1) / "task_info.json").read_text())),
    Case("task-extra-files", ("ls", "--json"), 0,
         setup=_chain(_task_file("junk.bin", b"\0\1\2"), _write("_pyruns_/train/tasks/README.txt", "x"),
                      _write("_pyruns_/train/tasks/stray/notes.txt", "x")),
         check=_listed(T1, "t_2-of-2")),
    Case("script-info-garbage", ("gen", "spec.yaml"), 1, "script_info.json", spec="seed: 1\n",
         setup=_write("_pyruns_/train/script_info.json", "nope")),
    Case("script-info-array-ls", ("ls",), 1, r"script_info\.json is damaged \(not a JSON object\).*pyr-tui init",
         setup=_write("_pyruns_/train/script_info.json", "[]")),
    Case("script-info-wrong-type-gen", ("gen", "spec.yaml"), 1, "'pinned_params' has the wrong type", spec="seed: 1\n",
         setup=_write("_pyruns_/train/script_info.json", '{"script": null, "kind": "argparse", "pinned_params": 5}')),
    Case("script-info-damaged-init-repairs", ("init", "train.py"), 0, setup=_write("_pyruns_/train/script_info.json", "[]"),
         writes=True, check=lambda p, out: _assert_in('"kind": "argparse"', (p / "_pyruns_/train/script_info.json").read_text())),
    Case("paused-json-array-status", ("runner", "status"), 0, setup=_write("_pyruns_/train/.runner/paused.json", "[]"),
         check=lambda p, out: _assert_in("paused: unreadable .runner/paused.json (`pyr-tui runner resume`", out)),
    Case("config-default-garbage", ("gen", "spec.yaml"), 1, "config_default.yaml", spec="seed: 1\n",
         setup=_write("_pyruns_/train/config_default.yaml", "::: [[[\n")),
    # logs
    Case("log-invalid-utf8-plain", ("log", T1, "--plain"), 0, setup=_log(b"ok \xff\xfe bad\n\xc3(\n"),
         check=_plain_has("ok \ufffd\ufffd bad")),
    Case("log-50MB-line-plain", ("log", T1, "--plain"), 0, setup=_log(b"x" * BIG), check=_big_line_whole,
         timeout=120),
    Case("log-escape-bomb-plain", ("log", T1, "--plain"), 0,
         setup=_log(b"a\x1b[999999999;999999999H\x1b[99999999999L\x1b[99999999999@b\x1b]0;" + b"t" * 100_000 + b"\nz\n"),
         check=_plain_has("z")),
    Case("log-binary-noise-plain", ("log", T1, "--plain"), 0,
         setup=_log(bytes(range(256)) * 4096 + b"\nEND\n"), check=_plain_has("END")),
    Case("log-file-missing", ("log", T1), 1, r"the log of run 1 of 't_1-of-2' is missing",  # (printed nothing, 0)
         setup=lambda p: fake_finished_run(p, T1, b"").unlink()),
    Case("log-run-out-of-range", ("log", T1, "--run", "7"), 1, "no run 7", setup=_log(b"x\n")),
    Case("log-run-not-int", ("log", T1, "--run", "x"), 2, "expected a whole number"),
    Case("log-never-ran", ("log", T1), 1, "has not run yet"),
    # usage
    Case("usage-unknown-command", ("frobnicate",), 2, "unknown command"),
    Case("usage-unknown-flag", ("ls", "--bogus"), 2, "unrecognized"),
    Case("usage-missing-dir", ("-C", "/nonexistent/dir", "ls"), 2, "no such directory"),
    Case("usage-dir-is-a-file", ("-C", "/etc/hostname", "ls"), 2, "not a directory"),  # (it said "no such directory")
    Case("usage-rm-nothing", ("rm",), 2, "required"),
    Case("usage-unknown-workspace", ("-w", "nope", "ls"), 1, "no workspace 'nope'"),
    Case("usage-workspace-traversal", ("-w", "../..", "ls"), 1, "invalid workspace name"),
    # it listed nothing, silently, as if no task matched
    Case("query-bad-number", ("ls", "lr>=abc", "--json"), 1, r"'lr>=abc': 'abc' is not a number"),
    Case("query-unbalanced-quote", ("ls", '"abc'), 0),
]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("template"))


def test_corpus_is_big_enough() -> None:
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, template: Path, tmp_path: Path) -> None:
    proj = clone_project(template, tmp_path)
    (tmp_path / "home").mkdir()
    if case.setup:
        case.setup(proj)
    if case.spec is not None:
        (proj / "spec.yaml").write_bytes(case.spec.encode() if isinstance(case.spec, str) else case.spec)
    before = snapshot(tmp_path)
    result = pyr(proj, *case.args, home=tmp_path / "home", stdin=case.stdin, timeout=case.timeout)
    after = snapshot(tmp_path)

    assert_clean_error(result, case.code)
    if case.code != 0 and case.err:
        assert re.search(case.err, result.err, re.IGNORECASE), result.err
    changed = changed_paths(before, after)
    assert outside(changed, "proj/_pyruns_") == [], "written outside the workspace"
    if not case.writes:
        assert sorted(changed) == [], "a failing or read-only command wrote to the workspace"
    if case.check:
        case.check(proj, result.out)
