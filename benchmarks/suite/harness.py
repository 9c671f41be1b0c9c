"""What one benchmark figure is (samples, goals, verdict) and how samples are taken side by side."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class BenchError(Exception):
    """A measurement could not be taken (a command failed, a screen never appeared)."""


@dataclass(frozen=True)
class Goal:
    """A target for one figure.

    kind: "below" (our median < limit), "above" (our median > limit), "all_below" (every one of
    our samples < limit: "no stall > 100 ms"), "faster" (the peer's
    median / ours >= limit, e.g. 10 for ">= 10x faster"), "within" (ours / the peer's <= limit).
    For throughputs (higher is better) "faster"/"within" compare the other way round.
    """

    text: str
    kind: str
    limit: float
    peer: str | None = None


@dataclass
class Samples:
    """Raw samples of one tool, or why there are none."""

    values: list[float] = field(default_factory=list)
    status: str = "ok"  # ok | not asked | not installed | not applicable | error: ...

    @property
    def median(self) -> float | None:
        return statistics.median(self.values) if self.values and self.status == "ok" else None


@dataclass
class Measurement:
    """One row of the report: our samples, each peer's samples, goals, and notes."""

    id: str
    figure: int
    title: str
    unit: str
    higher_is_better: bool = False
    ours: Samples = field(default_factory=Samples)
    peers: dict[str, Samples] = field(default_factory=dict)
    goals: list[Goal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def speedup(self, peer: str) -> float | None:
        """How many times better ours is than `peer` (> 1: ours is faster / higher)."""
        ours, theirs = self.ours.median, self.peers.get(peer, Samples()).median
        if ours is None or theirs is None or ours <= 0 or theirs <= 0:
            return None
        return ours / theirs if self.higher_is_better else theirs / ours

    def goal_verdict(self, goal: Goal) -> str:
        """pass | fail | n/a (what is missing)."""
        if self.error is not None or self.ours.median is None:
            return "n/a (no value)"
        value = self.ours.median
        if goal.kind == "below":
            return "pass" if value < goal.limit else "fail"
        if goal.kind == "above":
            return "pass" if value > goal.limit else "fail"
        if goal.kind == "all_below":
            return "pass" if max(self.ours.values) < goal.limit else "fail"
        assert goal.peer is not None
        ratio = self.speedup(goal.peer)
        if ratio is None:
            status = self.peers.get(goal.peer, Samples(status="not asked")).status
            return f"n/a ({goal.peer}: {status if len(status) < 60 else status[:57] + '...'})"
        if goal.kind == "faster":
            return "pass" if ratio >= goal.limit else "fail"
        if goal.kind == "within":
            return "pass" if 1 / ratio <= goal.limit else "fail"
        raise ValueError(f"unknown goal kind {goal.kind!r}")

    @property
    def verdict(self) -> str:
        """fail if any goal fails, pass if all pass, else n/a; error when nothing was measured."""
        if self.error is not None:
            return "error"
        verdicts = [self.goal_verdict(g) for g in self.goals]
        if not verdicts:
            return "info"
        if "fail" in verdicts:
            return "fail"
        return "pass" if all(v == "pass" for v in verdicts) else "n/a"

    def to_json(self) -> dict[str, Any]:
        def samples_json(s: Samples) -> dict[str, Any]:
            return {"status": s.status, "median": s.median, "repeats": len(s.values),
                    "min": min(s.values) if s.values else None,
                    "max": max(s.values) if s.values else None, "samples": s.values}

        return {
            "id": self.id, "figure": self.figure, "title": self.title, "unit": self.unit,
            "higher_is_better": self.higher_is_better, "value": self.ours.median,
            "repeats": len(self.ours.values), "ours": samples_json(self.ours),
            "peers": {name: {**samples_json(s), "speedup": self.speedup(name)}
                      for name, s in self.peers.items()},
            "goals": [{"text": g.text, "kind": g.kind, "limit": g.limit, "peer": g.peer,
                       "verdict": self.goal_verdict(g)} for g in self.goals],
            "verdict": self.verdict, "pass": self.verdict == "pass",
            "notes": self.notes, "extra": self.extra, "error": self.error,
        }


Sampler = Callable[[], float]


def side_by_side(ours: Sampler, peers: dict[str, Sampler | None], repeats: int,
                 peer_budget_s: float = float("inf")) -> tuple[Samples, dict[str, Samples]]:
    """Interleave samples (ours, peer1, peer2, ours, ...) so load changes hit every tool alike.

    A peer gets at least one sample and stops early once its samples have used `peer_budget_s`
    (a 4-minute pyruns run is not repeated 5 times); how many it got is in its sample list.
    A sampler of None means the peer is not measured (its status is set by the caller).
    """
    mine = Samples()
    theirs = {name: Samples() for name in peers}
    spent = {name: 0.0 for name in peers}
    for i in range(repeats):
        mine.values.append(ours())
        for name, sampler in peers.items():
            if sampler is None or theirs[name].status != "ok":
                continue
            if i > 0 and spent[name] + spent[name] / i > peer_budget_s:
                continue
            begin = time.perf_counter()
            try:
                theirs[name].values.append(sampler())
            except BenchError as exc:
                theirs[name].status = f"error: {exc}"
            spent[name] += time.perf_counter() - begin
    return mine, theirs


def bench_env(**extra: str) -> dict[str, str]:
    """The environment commands run with: bytecode caching on (as installed), no task context."""
    drop = {"PYTHONDONTWRITEBYTECODE", "PYRUNS_TASK_DIR", "__PYRUNS_CONFIG__", "PYRUNS_TUI_FAKE_GPUS",
            "PYTEST_CURRENT_TEST", "TMUX", "TMUX_PANE"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(extra)
    return env


def describe(cmd: Sequence[str]) -> str:
    """A short form of a command for messages: program name, long paths cut to their last part."""
    words = [Path(str(cmd[0])).name]
    words += [w if len(w) <= 40 else ".../" + Path(w).name for w in map(str, cmd[1:])]
    text = " ".join(words)
    return text if len(text) <= 100 else text[:97] + "..."


def run_cmd(cmd: Sequence[str], cwd: Path | None = None, *, env: dict[str, str] | None = None,
            timeout: float = 900, input_text: str | None = None) -> str:
    """Run a command to completion and return its stdout; BenchError with its stderr if it fails."""
    try:
        done = subprocess.run(list(cmd), cwd=cwd, env=env or bench_env(), capture_output=True,
                              text=True, timeout=timeout, input=input_text)
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"`{describe(cmd)}` ran over {timeout:.0f} s") from exc
    except OSError as exc:
        raise BenchError(f"cannot run {cmd[0]}: {exc}") from exc
    if done.returncode != 0:
        tail = [line[:160] + ("..." if len(line) > 160 else "")
                for line in (done.stderr or done.stdout).strip().splitlines()[-3:]]
        raise BenchError(f"`{describe(cmd)}` exited {done.returncode}: {' | '.join(tail)}")
    return done.stdout


def timed_cmd(cmd: Sequence[str], cwd: Path | None = None, *, env: dict[str, str] | None = None,
              timeout: float = 900, min_lines: int = 0) -> float:
    """Wall seconds of one command (stdout read through a pipe, as a terminal user would)."""
    begin = time.perf_counter()
    out = run_cmd(cmd, cwd, env=env, timeout=timeout)
    elapsed = time.perf_counter() - begin
    if min_lines and out.count("\n") < min_lines:
        raise BenchError(f"`{describe(cmd)}` printed {out.count(chr(10))} lines, "
                         f"expected >= {min_lines}")
    return elapsed


def wait_for(predicate: Callable[[], bool], timeout_s: float, what: str, poll_s: float = 0.02) -> float:
    """Poll until `predicate()` holds; seconds waited. BenchError naming `what` on timeout."""
    begin = time.perf_counter()
    deadline = begin + timeout_s
    while not predicate():
        if time.perf_counter() > deadline:
            raise BenchError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(poll_s)
    return time.perf_counter() - begin
