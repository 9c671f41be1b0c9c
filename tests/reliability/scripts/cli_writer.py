"""One CLI writer of the concurrency test: runs `pyr-tui` commands in a loop and records what
was acknowledged (exit code 0), so the test can check every acknowledged change is on disk.

usage: cli_writer.py PROJECT_DIR PREFIX SECONDS OUT_JSON SEED

It owns the tasks PREFIX0..PREFIX3 (created by the test) and the tasks it generates itself
(PREFIXgN_...), and appends its own tokens to the shared tasks s0 and s1 as well. Commands go through `pyruns_tui.cli.main` in this one process — the same entry
point `pyr-tui` runs — so it makes many more requests per second than one process per command.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import sys
import time
from pathlib import Path

from pyruns_tui.cli import main


def cli(project: str, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(["-C", project, *args])
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def run(project: str, prefix: str, seconds: float, seed: int, pace_s: float = 0.1) -> dict:
    rng = random.Random(seed)
    own = [f"{prefix}{i}" for i in range(4)]
    shared = ["s0", "s1"]  # every writer appends its own tokens here too: the hottest files
    acks: dict[str, list[str]] = {name: [] for name in [*own, *shared]}
    pinned: dict[str, bool] = {}
    live: list[str] = []  # generated tasks that should be in tasks/
    trashed: dict[str, str] = {}  # trash folder name -> task name
    errors: list[str] = []
    ops: dict[str, int] = {}
    spec = Path(project).parent / f"spec-{prefix}.yaml"
    deadline = time.monotonic() + seconds
    n = 0

    def check(what: str, code: int, err: str) -> bool:
        if code != 0:
            errors.append(f"{what}: exit {code}: {err.strip()[-300:]}")
        return code == 0

    while time.monotonic() < deadline:
        n += 1
        time.sleep(rng.uniform(0, pace_s))  # leave the TUI some of a 2-core machine
        op = rng.choices(["note", "run", "pin", "gen", "rm", "restore", "ls"], [5, 3, 2, 1, 1, 1, 2])[0]
        ops[op] = ops.get(op, 0) + 1
        task = rng.choice(own)
        if op == "note":  # a burst: appends from both writers overlap on the shared tasks
            for k in range(rng.randint(1, 6)):
                token = f"{prefix}-{n}-{k}"
                target = rng.choice([task, *shared])
                code, _, err = cli(project, "note", "-a", target, token)
                if check(f"note {target}", code, err):
                    acks[target].append(token)
        elif op == "run":
            code, _, err = cli(project, "run", task)
            check(f"run {task}", code, err)
        elif op == "pin":
            value = rng.random() < 0.5
            code, _, err = cli(project, "pin", task, *([] if value else ["--off"]))
            if check(f"pin {task}", code, err):
                pinned[task] = value
        elif op == "gen":
            spec.write_text("command: echo {x}\nparams:\n  x: 1 | 2\n")
            code, out, err = cli(project, "gen", str(spec), "-n", f"{prefix}g{n}", "--json")
            if check("gen", code, err):
                live.extend(json.loads(out)["tasks"])
        elif op == "rm" and live:
            name = live.pop(rng.randrange(len(live)))
            code, out, err = cli(project, "rm", name)
            if check(f"rm {name}", code, err):
                trashed[out.strip().rsplit(": ", 1)[1]] = name
            else:
                live.append(name)
        elif op == "restore" and trashed:
            trash_name = rng.choice(sorted(trashed))
            code, out, err = cli(project, "restore", trash_name)
            if check(f"restore {trash_name}", code, err):
                trashed.pop(trash_name)
                live.append(out.strip().rsplit(": ", 1)[1])
        elif op == "ls":
            code, out, err = cli(project, "ls", "--json")
            if check("ls", code, err):
                json.loads(out)  # a listing made while others write must parse
    return {"acks": acks, "pinned": pinned, "live": live, "trashed": trashed, "errors": errors, "ops": ops}


if __name__ == "__main__":
    project_dir, prefix, seconds, out_json, seed = sys.argv[1:6]
    result = run(project_dir, prefix, float(seconds), int(seed))
    Path(out_json).write_text(json.dumps(result, indent=1))
