"""The scan index (workspace/scan_index.py) is never the only truth: whatever state it is in,
a reader using it sees exactly what the task files say."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import pyruns_tui.workspace.store as store_module
from pyruns_tui.workspace.layout import Layout
from pyruns_tui.workspace.model import Status
from pyruns_tui.workspace.select import select_tasks
from pyruns_tui.workspace.store import TaskStore
from tests.conftest import make_tasks


def truth(layout: Layout) -> dict[str, tuple[str, dict[str, object]]]:
    """Status and config of every task, read straight from the files (no store, no index)."""
    from pyruns_tui.params import yamlio

    found = {}
    for entry in os.scandir(layout.tasks_dir):
        if entry.name.startswith("."):
            continue
        info = json.loads(Path(entry.path, "task_info.json").read_text())
        found[entry.name] = (info["status"], yamlio.load_text(Path(entry.path, "config.yaml").read_text()) or {})
    return found


def seen(layout: Layout, query: str = "") -> dict[str, tuple[str, dict[str, object]]]:
    """What a fresh reader using the index (as `pyr-tui ls` does) reports, then saves its index."""
    reader = TaskStore(layout, disk_cache=True)
    views = select_tasks(reader, query)
    reader.save_cache()
    return {v.task.name: (v.task.status.value, dict(v.params)) for v in views}


def fail(store: TaskStore, name: str) -> None:
    def change(task):  # type: ignore[no-untyped-def]
        task.status = Status.FAILED

    store.update(name, change, fsync=False)


def hand_edit(path: Path, old: str, new: str) -> None:
    """Edit a file in place as an editor without backup would (same inode, new mtime)."""
    before = os.stat(path)
    path.write_text(path.read_text().replace(old, new))
    after = os.stat(path)
    if after.st_mtime_ns == before.st_mtime_ns:  # a coarse clock: a person never edits within a tick
        os.utime(path, ns=(after.st_atime_ns, after.st_mtime_ns + 1_000_000))


def test_writers_keep_the_index_so_a_reader_parses_nothing(store: TaskStore, monkeypatch: pytest.MonkeyPatch) -> None:
    make_tasks(store, 30, lr=0.1)
    fail(store, "t3")
    monkeypatch.setattr(store_module, "_read_json", lambda p: pytest.fail(f"parsed {p}"))
    from pyruns_tui.params import yamlio

    monkeypatch.setattr(yamlio, "load_text", lambda *a, **k: pytest.fail("parsed a config.yaml"))
    found = seen(store.layout)
    assert len(found) == 30 and found["t3"] == ("failed", {"i": 3, "lr": 0.1})
    assert seen(store.layout, "status:failed") == {"t3": ("failed", {"i": 3, "lr": 0.1})}


def test_a_snapshot_and_the_rows_after_it_spare_every_parse(store: TaskStore, monkeypatch: pytest.MonkeyPatch) -> None:
    make_tasks(store, 2500, lr=0.1)  # more rows than COMPACT_LINES: the first reader writes a snapshot
    for name in ("t1", "t2"):
        fail(store, name)
    seen(store.layout)
    fail(store, "t7")  # after the snapshot: its config is in the snapshot's section for pending tasks
    monkeypatch.setattr(store_module, "_read_json", lambda p: pytest.fail(f"parsed {p}"))
    from pyruns_tui.params import yamlio

    monkeypatch.setattr(yamlio, "load_text", lambda *a, **k: pytest.fail("parsed a config.yaml"))
    assert seen(store.layout, "status:failed") == {f"t{i}": ("failed", {"i": i, "lr": 0.1}) for i in (1, 2, 7)}
    assert len(seen(store.layout, "status:pending")) == 2497


def test_a_torn_log_line_costs_only_its_own_rows(store: TaskStore, monkeypatch: pytest.MonkeyPatch) -> None:
    make_tasks(store, 30, lr=0.1)
    fail(store, "t3")
    log = store.layout.cache_file.with_suffix(".log")
    lines = log.read_text().splitlines(keepends=True)
    torn = lines.index(next(line for line in lines if line.startswith('["i","t5",')))
    assert lines[torn + 1].startswith('["c","t5",')
    lines[torn] = lines[torn][:-20]  # a writer killed mid-row; the next row lands on the same line
    log.write_text("".join(lines))
    expected = truth(store.layout)
    parsed: list[str] = []
    read_json = store_module._read_json
    monkeypatch.setattr(store_module, "_read_json", lambda p: parsed.append(Path(p).parent.name) or read_json(p))
    from pyruns_tui.params import yamlio

    load_text = yamlio.load_text
    monkeypatch.setattr(yamlio, "load_text", lambda text, where="": parsed.append(Path(where).parent.name) or load_text(text, where=where))
    assert seen(store.layout) == expected
    assert parsed == ["t5", "t5"]  # the two rows on the torn line; every other row was used


@pytest.mark.slow  # 2500 tasks
def test_a_long_log_is_kept_while_the_snapshot_is_big(store: TaskStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows appended past LOG_CAP are kept while the log is under LOG_PER_SNAPSHOT times the
    snapshot (a mass write of a big workspace); the log is started anew past both."""
    import pyruns_tui.workspace.scan_index as index_module

    make_tasks(store, 2500, lr=0.1)
    seen(store.layout)  # the snapshot
    fail(store, "t1")  # a row after it
    log = store.layout.cache_file.with_suffix(".log")
    monkeypatch.setattr(index_module, "LOG_CAP", 1024)
    fail(store, "t7")  # past the cap, well under 4x the snapshot: t1's row stays
    assert '["i","t1",' in log.read_text()
    read_json = store_module._read_json
    monkeypatch.setattr(store_module, "_read_json", lambda p: pytest.fail(f"parsed {p}"))
    assert seen(store.layout, "status:failed") == {f"t{i}": ("failed", {"i": i, "lr": 0.1}) for i in (1, 7)}
    monkeypatch.setattr(store_module, "_read_json", read_json)
    monkeypatch.setattr(index_module, "LOG_PER_SNAPSHOT", 0)  # past both: started anew
    fail(store, "t9")
    assert log.read_text().count("\n") == 1 and '["i","t9",' in log.read_text()
    assert seen(store.layout) == truth(store.layout)


def test_a_hand_edited_task_is_seen_as_edited(store: TaskStore) -> None:
    make_tasks(store, 5, lr=0.1)
    assert seen(store.layout, "status:failed") == {}
    hand_edit(store.layout.task_info("t2"), '"status": "pending"', '"status": "failed"')
    hand_edit(store.layout.task_config("t4"), "lr: 0.1", "lr: 0.7")
    assert seen(store.layout, "status:failed") == {"t2": ("failed", {"i": 2, "lr": 0.1})}
    assert seen(store.layout) == truth(store.layout)
    assert seen(store.layout)["t4"] == ("pending", {"i": 4, "lr": 0.7})


@pytest.mark.slow  # 2500 tasks each
@pytest.mark.parametrize("damage", ["missing", "garbage", "torn", "wrong types", "deep", "symlink", "fifo",
                                    "foreign rest", "sections out of range", "deep rest"])
def test_a_damaged_index_gives_the_right_answer(store: TaskStore, damage: str, tmp_path: Path) -> None:
    make_tasks(store, 2500, lr=0.1)  # more rows than COMPACT_LINES: the first reader writes a snapshot
    seen(store.layout)
    snapshot, log = store.layout.cache_file, store.layout.cache_file.with_suffix(".log")
    rest = store.layout.cache_file.with_suffix(".rest.jsonl")
    covered = log.stat().st_size
    assert json.loads(snapshot.read_text())["log"][1] == covered
    for name in ("t7", "t1234"):
        fail(store, name)
    rows = log.read_text()[covered:].splitlines()
    assert len(rows) == 2  # the two writes above, after what the snapshot holds
    if damage == "missing":
        snapshot.unlink()
        log.unlink()
        rest.unlink()
    elif damage == "garbage":
        snapshot.write_bytes(os.urandom(5000))
        rest.write_bytes(os.urandom(5000))
        log.write_bytes(os.urandom(5000) + b'\n["i","t7",1,2\n\xff\xfe{{{\n')
    elif damage == "torn":  # a writer killed mid-line, then another one appended
        log.write_text(log.read_text()[:covered] + rows[0][:-20] + rows[1] + "\n")
    elif damage == "wrong types":
        data = json.loads(snapshot.read_text())
        data["info"][4] = ["pending"] * len(data["info"][4])  # every status column says pending...
        data["info"][1] = [str(v) for v in data["info"][1]]  # ...but the inode column is not ints
        data["log"] = [data["log"][0], 10**9]  # and it claims to hold rows the log never had
        snapshot.write_text(json.dumps(data))
        with log.open("a") as stream:
            stream.write('["i","t7",1,2,3,"pending","{}"]\n["c","t7",true,2,3,"{}"]\n[1,2]\n{"i":1}\n')
    elif damage == "deep":
        log.write_text('["i","t7",1,2,3,"pending","' + "[" * 5000 + '"]\n' + "[" * 100_000 + "\n")
    elif damage == "foreign rest":  # the rest file of another snapshot (written between two reads)
        stamp = json.loads(snapshot.read_text())["stamp"]  # the same length: every section stays in place
        rest.write_text(rest.read_text().replace(stamp, "f" * len(stamp)).replace('"lr":0.1', '"lr":9.9'))
    elif damage == "sections out of range":  # a table pointing past the rest file, or backwards
        data = json.loads(snapshot.read_text())
        data["sections"] = {"pending": [0, 10**15], "failed": [-5, 3]}
        snapshot.write_text(json.dumps(data))
    elif damage == "deep rest":  # a planted section whose rows nest deeper than any task file may
        data = json.loads(snapshot.read_text())
        deep: object = "x"
        for _ in range(300):
            deep = [deep]
        info = os.stat(store.layout.task_config("t5"))
        section = json.dumps({"version": data["version"], "stamp": data["stamp"], "status": "pending",
                              "info": [["t5"], [{"notes": "", "runs": [deep]}]],
                              "config": [["t5"], [info.st_ino], [info.st_mtime_ns], [info.st_size], [{"lr": deep}]]})
        rest.write_text(section + "\n")
        data["sections"] = {"pending": [0, len(section) + 1]}
        snapshot.write_text(json.dumps(data))
    elif damage in ("symlink", "fifo"):
        for path in (snapshot, log, rest):
            path.unlink()
            if damage == "fifo":
                os.mkfifo(path)
            else:
                (tmp_path / f"elsewhere{path.name}").write_text("")
                path.symlink_to(tmp_path / f"elsewhere{path.name}")
    assert seen(store.layout, "status:failed") == {"t7": ("failed", {"i": 7, "lr": 0.1}),
                                                   "t1234": ("failed", {"i": 1234, "lr": 0.1})}
    assert seen(store.layout) == truth(store.layout)
    if damage == "symlink":  # never written through
        assert all(path.read_text() == "" for path in tmp_path.glob("elsewhere*"))


def test_a_stale_row_for_a_replaced_file_is_not_used(store: TaskStore) -> None:
    make_tasks(store, 3)
    seen(store.layout)
    log = store.layout.cache_file.with_suffix(".log")
    before = log.read_text()
    fail(store, "t1")
    log.write_text(before)  # the writer's row lost (as if killed before appending it)
    assert seen(store.layout, "status:failed") == {"t1": ("failed", {"i": 1})}


def test_tasks_the_index_does_not_know_and_names_it_knows_that_are_gone(store: TaskStore) -> None:
    """A scan reads tasks in the index's order: those it does not know are read too, the
    ones it knows that are gone are not listed, whatever a status term asks."""
    make_tasks(store, 4)
    fail(store, "t3")
    seen(store.layout)
    log = store.layout.cache_file.with_suffix(".log")
    before = log.read_text()
    make_tasks(store, 2, prefix="u")
    fail(store, "u1")
    log.write_text(before)  # their rows lost: the index knows nothing of u0 and u1
    store.trash(["t1"])
    assert seen(store.layout) == truth(store.layout)
    assert set(seen(store.layout, "status:failed")) == {"t3", "u1"}
    assert set(seen(store.layout, "-status:failed")) == {"t0", "t2", "u0"}


WRITER = textwrap.dedent("""\
    import sys
    from pathlib import Path
    from pyruns_tui.workspace.layout import Layout
    from pyruns_tui.workspace.model import Status
    from pyruns_tui.workspace.store import TaskStore

    store = TaskStore(Layout(root=Path(sys.argv[1]), name=sys.argv[2]))
    names = sorted(store.names())
    print("ready", flush=True)
    i = 0
    while True:
        name = names[i % len(names)]
        def flip(task):
            task.status = Status.FAILED if task.status is Status.PENDING else Status.PENDING
        store.update(name, flip, fsync=False)
        i += 1
""")


def test_a_writer_killed_mid_update_never_makes_a_reader_wrong(store: TaskStore) -> None:
    make_tasks(store, 40)
    layout = store.layout
    for round_ in range(6):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(layout.root), layout.name],
                                  stdout=subprocess.PIPE, text=True)
        assert writer.stdout is not None and writer.stdout.readline() == "ready\n"
        for _ in range(round_ + 1):  # readers race with the writer, compacting now and then
            seen(layout)
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        assert seen(layout) == truth(layout)
        failed = {name for name, (status, _) in truth(layout).items() if status == "failed"}
        assert set(seen(layout, "status:failed")) == failed


def test_configs_json_cannot_hold_exactly_are_left_to_the_file(store: TaskStore) -> None:
    make_tasks(store, 1)
    path = store.layout.task_config("t0")
    path.write_text("when: 2026-01-01\n1: int key\n")
    first = seen(store.layout)["t0"][1]
    assert seen(store.layout)["t0"][1] == first
    assert set(map(type, first)) == {str, int}  # the int key stayed an int


def test_nests_within_says_what_json_depth_says() -> None:
    # the scan's depth check of a section row (`nests_within`, C-speed passes over containers of
    # scalars) against the plain walk it replaced there, on the shapes a record takes and deeper
    from pyruns_tui.workspace.fsio import json_depth, nests_within

    chain: dict[str, object] = {}
    link = chain
    for _ in range(120):
        link["k"] = link = {}
    shapes: list[object] = [{}, [], {"a": 1}, {"a": [1, 2]}, [[[]]], {"a": [{"b": {"c": []}}]}, chain,
                            {"runs": [{"index": 1, "env": {"A": "b"}, "gpus": [0, 1]}], "git": {"dirty": True}}]
    for shape in shapes:
        for levels in range(0, 125):
            assert nests_within(shape, levels) == (json_depth(shape) <= levels), (shape, levels)  # type: ignore[arg-type]


def test_text_nests_within_says_what_json_depth_says() -> None:
    # the depth of a section read off its text (`text_nests_within`: escapes, strings and bracket
    # pairs dropped in C passes) against the walk of its parsed value, on texts whose strings
    # hold brackets, quotes and backslashes placed to fool a count of brackets
    import random

    from pyruns_tui.workspace.fsio import json_depth, text_nests_within

    texts = ["5", '"]]]"', "{}", "[]", '{"a":"]]]","b":[[[1]]],"c":"[[["}', '["\\\\", ["\\"]"], "\\\\\\"[["]',
             '{"k\\u005c":"\\\\\\\\","x":[{"y":"\\"\\\\"}]}', '["a", "", "", "[", "]"]', '[["]"], ["["]]',
             '{"runs":[{"index":1,"env":{"A":"b"},"gpus":[0,1]}],"git":{"dirty":true}}', '["é", ["ü[", "日本]"]]']
    rng = random.Random(7)
    pieces = ["[", "]", "{", "}", '"', "\\", "a", ":", ","]

    def value(depth: int) -> object:
        kind = rng.random()
        if depth > 8 or kind < 0.3:
            return "".join(rng.choice(pieces) for _ in range(rng.randrange(6)))
        if kind < 0.6:
            return [value(depth + 1) for _ in range(rng.randrange(4))]
        return {"".join(rng.choice(pieces) for _ in range(3)): value(depth + 1) for _ in range(rng.randrange(4))}

    texts += [json.dumps(value(0), ensure_ascii=rng.random() < 0.5, separators=rng.choice([(",", ":"), (", ", ": ")]))
              for _ in range(400)]
    chain = "[" * 150 + "]" * 150
    texts += [chain, '{"a":' + chain + "}", '["' + "]" * 150 + '", ' + chain + "]"]
    texts += ['["\u5b22", ["\u225b\u5d22"]]', '[{"\u5b5b": "\u7b5d"}]', '["\u225c\u5b22", [[["\u5d5d"]]]]']
    for text in texts:  # as text, and as the bytes of each encoding JSON may come in
        depth = json_depth(json.loads(text))
        raw = text.encode("utf-16", "surrogatepass")  # (UTF-16: U+5B22 is the bytes of `"[`)
        encodings = [text.encode(), raw, text.encode("utf-16-be", "surrogatepass"), text.encode("utf-32-le", "surrogatepass")]
        for levels in range(0, depth + 3):
            assert text_nests_within(text, levels) == (depth <= levels), (text, levels)
            for data in encodings:
                assert text_nests_within(data, levels) == (depth <= levels), (data, levels)


def test_lean_runs_leave_out_only_what_a_run_holds_by_default() -> None:
    # the index rows leave out a run's unset fields (`_RUN_DEFAULTS`): exactly the fields whose
    # default is None or empty, so a reader's Run is the one the file gives
    import dataclasses

    from pyruns_tui.workspace.model import Run
    from pyruns_tui.workspace.scan_index import _RUN_DEFAULTS

    defaults = {f.name: f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
                for f in dataclasses.fields(Run)
                if f.name != "extra" and (f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING)}
    assert _RUN_DEFAULTS == {k: v for k, v in defaults.items() if v is None or v == [] or v == {}}


def test_tasks_with_runs_read_from_lean_rows_are_the_tasks_their_files_hold(store: TaskStore) -> None:
    from pyruns_tui.workspace.model import Run, Task

    make_tasks(store, 2500)  # a reader folds the log into a snapshot: rows come from its sections too
    runs = {"t3": [Run(index=1, status=Status.FAILED, pid=None, exit_code=1, error="boom", gpus=[0], env={"A": "b"},
                       extra={"mine": None}),
                   Run(index=2, status=Status.COMPLETED, pid=42, exit_code=0, duration_s=1.5, log="run_logs/run2.log")],
            "t2100": [Run(index=1, status=Status.COMPLETED, start="2026-01-01T00:00:00.000+00:00", argv=["a"])]}
    for name, made in runs.items():
        def change(task: Task, made: list[Run] = made) -> None:
            task.status = made[-1].status
            task.runs = made

        store.update(name, change, fsync=False)

    def files(layout: Layout) -> dict[str, dict[str, object]]:
        return {name: Task.from_dict(json.loads((layout.tasks_dir / name / "task_info.json").read_text())).to_dict()
                for name in runs}

    for _ in range(2):  # the log's rows, then the snapshot's (the first reader wrote one)
        reader = TaskStore(store.layout, disk_cache=True)
        assert {t.name: t.to_dict() for t in reader.scan() if t.name in runs} == files(store.layout)
        reader.save_cache()
    rest = store.layout.cache_file.with_suffix(".rest.jsonl").read_text()
    assert '"pid":42' in rest and '"mine":null' in rest and '"pid":null' not in rest and '"signal"' not in rest
