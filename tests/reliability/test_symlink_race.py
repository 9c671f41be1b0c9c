"""A file swapped for a symlink between a check and its use: while CLI readers and writers and
the runner work on a task, a thread keeps replacing its files (task_info.json, config.yaml,
summary.json, metrics.jsonl, progress.json, the run log) by symlinks to files outside the
workspace and back. Nothing outside may be read (atime kept at 0 under relatime), written,
created or shown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.reliability.harness import cli_env, fake_finished_run, make_project, pyr, task_dir

SECRET = "OUTSIDE-SECRET"
FILES = ["task_info.json", "config.yaml", "summary.json", "metrics.jsonl", "progress.json", "run_logs/run1.log"]
SWAP_SECONDS = float(os.environ.get("RELIABILITY_SWAP_SECONDS", "6"))


def _outside_content(name: str) -> bytes:
    if name == "config.yaml":
        return f"tag: {SECRET}\n".encode()
    if name == "metrics.jsonl":
        return json.dumps({"t": 1, SECRET: 1.0}).encode() + b"\n"
    if name.endswith(".log"):
        return f"{SECRET}\n".encode()
    return json.dumps({"name": "t_1-of-2", "status": "completed", "notes": SECRET, "runs": [], "run": 1,
                       "progress": 0.5, "progress_label": SECRET, SECRET: 1}).encode()


def _hammer(proj: Path, commands: list[tuple[str, ...]], env: dict[str, str], outputs: list[str]) -> None:
    """Run every command side by side, again and again for SWAP_SECONDS; keep what each printed."""
    deadline = time.monotonic() + SWAP_SECONDS
    while time.monotonic() < deadline:
        procs = [subprocess.Popen([sys.executable, "-m", "pyruns_tui", *args], cwd=proj, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for args in commands]
        for proc in procs:
            out, _ = proc.communicate(timeout=60)
            outputs.append(out.decode("utf-8", "replace"))


def _swapper(folder: Path, outside: Path, stop: threading.Event, swaps: list[int]) -> None:
    originals = {name: (folder / name).read_bytes() for name in FILES}
    while not stop.is_set():
        for name in FILES:
            path = folder / name
            link = path.with_name(f".swap-link-{path.name}")
            back = path.with_name(f".swap-back-{path.name}")
            os.symlink(outside / name.replace("/", "_"), link)
            os.replace(link, path)  # the file is a symlink to outside now
            time.sleep(0.0005)
            back.write_bytes(originals[name])
            os.replace(back, path)
            swaps[0] += 1


def test_swapping_files_for_symlinks_never_reaches_outside(tmp_path: Path) -> None:
    proj = make_project(tmp_path)
    fake_finished_run(proj, "t_1-of-2", b"line\n")
    folder = task_dir(proj, "t_1-of-2")
    (folder / "summary.json").write_text('{"best": 1.0}')
    (folder / "metrics.jsonl").write_text('{"t": 1, "loss": 0.5}\n')
    (folder / "progress.json").write_text('{"run": 1, "progress": 0.1}')
    outside = tmp_path / "outside"
    outside.mkdir()
    for name in FILES:
        target = outside / name.replace("/", "_")
        target.write_bytes(_outside_content(name))
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in outside.iterdir()}
    for target in outside.iterdir():
        os.utime(target, ns=(0, target.stat().st_mtime_ns))  # atime 0: any read sets it (relatime)

    stop, swaps = threading.Event(), [0]
    swapper = threading.Thread(target=_swapper, args=(folder, outside, stop, swaps), daemon=True)
    swapper.start()
    outputs: list[str] = []
    commands = [("ls", "--json"), ("show", "t_1-of-2"), ("export", "-f", "json"), ("compare", "t_1-of-2", "t_2-of-2"),
                ("log", "--plain", "t_1-of-2"), ("note", "-a", "t_1-of-2", "x"), ("pin", "t_1-of-2"),
                ("run", "t_2-of-2"), ("show", "--json", "t_1-of-2")]
    env = cli_env(tmp_path / "home")
    (tmp_path / "home").mkdir(exist_ok=True)
    try:
        _hammer(proj, commands, env, outputs)
    finally:
        stop.set()
        swapper.join(timeout=10)
        pyr(proj, "runner", "stop")
    assert swaps[0] > 10
    assert all("Traceback" not in out for out in outputs), next(o for o in outputs if "Traceback" in o)[-3000:]
    assert not [out for out in outputs if SECRET in out], "an outside file was shown"
    read = [p.name for p in outside.iterdir() if p.stat().st_atime != 0]
    after = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in outside.iterdir()}
    assert after == before, "an outside file was written or created"
    assert not read, f"read through a symlink: {read}"


def test_the_progress_sidecar_is_never_read_through_a_symlink(tmp_path: Path) -> None:
    from pyruns_tui.workspace.progress_file import read_run_progress

    target = tmp_path / "outside.json"
    target.write_bytes(_outside_content("progress.json"))
    os.utime(target, (0, target.stat().st_mtime))
    (tmp_path / "progress.json").symlink_to(target)
    assert read_run_progress(tmp_path) is None
    assert target.stat().st_atime == 0


def _folder_swapper(folder: Path, outside: Path, stop: threading.Event, swaps: list[int]) -> None:
    back = folder.with_name(".swap-back")
    while not stop.is_set():
        os.rename(folder, back)
        os.symlink(outside, folder)  # the task folder leads outside now
        os.unlink(folder)
        os.rename(back, folder)
        swaps[0] += 1


def test_swapping_a_task_folder_for_a_symlink_never_reaches_outside(tmp_path: Path) -> None:
    """Each file is opened relative to its folder, itself opened O_DIRECTORY|O_NOFOLLOW."""
    proj = make_project(tmp_path)
    fake_finished_run(proj, "t_1-of-2", b"line\n")
    folder = task_dir(proj, "t_1-of-2")
    outside = tmp_path / "outside" / "t_1-of-2"
    outside.parent.mkdir()
    (outside / "run_logs").mkdir(parents=True)
    for name in FILES:
        (outside / name).write_bytes(_outside_content(name))
    files = [p for p in outside.rglob("*") if p.is_file()]
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files}
    for path in files:
        os.utime(path, ns=(0, path.stat().st_mtime_ns))
    stop, swaps = threading.Event(), [0]
    swapper = threading.Thread(target=_folder_swapper, args=(folder, outside, stop, swaps), daemon=True)
    swapper.start()
    commands = [("ls", "--json"), ("show", "t_1-of-2"), ("export", "-f", "json"), ("log", "--plain", "t_1-of-2"),
                ("note", "-a", "t_1-of-2", "x"), ("pin", "t_1-of-2"), ("show", "--json", "t_1-of-2"),
                ("compare", "t_1-of-2", "t_2-of-2")]
    env = cli_env(tmp_path / "home")
    (tmp_path / "home").mkdir(exist_ok=True)
    outputs: list[str] = []
    try:
        _hammer(proj, commands, env, outputs)
    finally:
        stop.set()
        swapper.join(timeout=10)
    assert swaps[0] > 10
    assert all("Traceback" not in out for out in outputs), next(o for o in outputs if "Traceback" in o)[-3000:]
    read = [p.name for p in files if p.stat().st_atime != 0]
    assert not [out for out in outputs if SECRET in out], "an outside file was shown"
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files} == before, "an outside file was written"
    assert sorted(p for p in outside.rglob("*") if p.is_file()) == sorted(files), "a file was created outside"
    assert not read, f"read through a swapped folder: {read}"
