"""Writing a run out: benchmarks/results.json (everything, raw samples included) and docs/benchmarks.md."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from suite.harness import Measurement, Samples

FIGURES = {
    1: "Creating a grid of tasks on disk",
    2: "Listing tasks, opening the Manager",
    3: "Scheduler: a batch of short tasks",
    4: "Log path: flooding output, following it live",
    5: "Start-up",
    6: "Idle cost",
    7: "Memory",
    8: "Scale: 1,000 / 10,000 / 100,000 tasks",
}
COMMENTARY_START = "<!-- commentary:start (hand-written; kept when the file is regenerated) -->"
COMMENTARY_END = "<!-- commentary:end -->"
DEFAULT_COMMENTARY = "(No commentary yet: read the misses above and write what they mean here.)"


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Atomic write of the results (a crash never leaves half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=1, allow_nan=False) + "\n")
    os.replace(tmp, path)


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "s" and value < 1:
        return f"{value * 1000:.0f} ms"
    if unit in ("s", "ms", "%", "MB", "MB/s") :
        digits = 2 if abs(value) < 10 else 1 if abs(value) < 100 else 0
        return f"{value:.{digits}f} {unit}"
    if unit in ("B/s", "lines/s"):
        return f"{value:,.0f} {unit}"
    return f"{value:.3g} {unit}"


def fmt_samples(s: Samples, unit: str) -> str:
    if s.median is None:
        return s.status if len(s.status) < 90 else s.status[:87] + "..."
    spread = f"{fmt(min(s.values), unit)}–{fmt(max(s.values), unit)}" if len(s.values) > 1 else ""
    return f"**{fmt(s.median, unit)}**<br><sub>n={len(s.values)} {spread}</sub>"


def fmt_ratio(m: Measurement, peer: str) -> str:
    ratio = m.speedup(peer)
    if ratio is None:
        return "—"
    better, worse = (("higher", "lower") if m.higher_is_better else ("faster", "slower")
                     if m.unit in ("s", "ms") else ("smaller", "larger") if m.unit == "MB"
                     else ("lower", "higher"))
    return f"{ratio:.1f}x {better}" if ratio >= 1 else f"{1 / ratio:.2f}x {worse}"


def fmt_verdict(verdict: str) -> str:
    return {"pass": "pass", "fail": "**FAIL**", "error": "**ERROR**"}.get(verdict, verdict)


def figure_table(rows: list[Measurement]) -> list[str]:
    out = ["| measurement | ours | peer | peer's | ours vs peer | goal | verdict |",
           "|---|---|---|---|---|---|---|"]
    for m in rows:
        peers = list(m.peers) or [None]
        absolute = [g for g in m.goals if g.peer is None]
        for i, peer in enumerate(peers):
            goals = [g for g in m.goals if peer is not None and g.peer == peer] + (absolute if i == 0 else [])
            goal_text = "<br>".join(g.text for g in goals) or ("" if i else "—")
            verdict = "<br>".join(fmt_verdict(m.goal_verdict(g)) for g in goals)
            if m.error is not None and i == 0:
                verdict = f"**ERROR**: {m.error}"
            first = i == 0
            out.append("| " + " | ".join([
                m.title if first else "″",
                fmt_samples(m.ours, m.unit) if first else "″",
                peer or "—",
                fmt_samples(m.peers[peer], m.unit) if peer else "—",
                fmt_ratio(m, peer) if peer else "—",
                goal_text, verdict]) + " |")
    return out


def summary_table(rows: list[Measurement]) -> list[str]:
    out = ["| # | measurement | ours | goal | verdict |", "|---|---|---|---|---|"]
    for m in rows:
        goals = "<br>".join(g.text for g in m.goals) or "—"
        verdicts = "<br>".join(fmt_verdict(m.goal_verdict(g)) for g in m.goals) or "(info)"
        if m.error is not None:
            verdicts = "**ERROR**"
        out.append(f"| {m.figure} | {m.title} | {fmt(m.ours.median, m.unit)} | {goals} | {verdicts} |")
    return out


def misses(rows: list[Measurement]) -> list[str]:
    out = []
    for m in rows:
        if m.error is not None:
            out.append(f"- **{m.title}**: not measured ({m.error})")
            continue
        for g in m.goals:
            if m.goal_verdict(g) == "fail":
                detail = (f"worst sample {fmt(max(m.ours.values), m.unit)}" if g.kind == "all_below"
                          else f"{fmt(m.ours.median, m.unit)}" if g.peer is None
                          else f"{fmt(m.ours.median, m.unit)} vs {g.peer} "
                               f"{fmt(m.peers[g.peer].median, m.unit)}: {fmt_ratio(m, g.peer)}")
                out.append(f"- **{m.title}**: {detail}; goal {g.text}")
    return out or ["- none"]


def kept_commentary(doc: Path) -> str:
    """The hand-written commentary of the existing document, if any."""
    try:
        text = doc.read_text()
    except OSError:
        return DEFAULT_COMMENTARY
    found = re.search(re.escape(COMMENTARY_START) + r"\n(.*?)\n" + re.escape(COMMENTARY_END), text, re.S)
    return found.group(1).strip() if found else DEFAULT_COMMENTARY


def markdown(data: dict[str, Any], rows: list[Measurement], commentary: str) -> str:
    machine, run, peers = data["machine"], data["run"], data["peers"]
    load0 = " / ".join(map(str, machine["load_average_start"]))
    load1 = " / ".join(map(str, run.get("load_average_end", [])))
    lines = [
        "# Benchmarks",
        "",
        f"Generated by `{run['command']}` on {run['started_at']} (commit {run['git']['commit']}"
        f"{', uncommitted changes' if run['git']['dirty'] else ''}; {run['duration_s'] / 60:.1f} min, "
        f"mode: {run['mode']}). Raw samples: [benchmarks/results.json](../benchmarks/results.json). "
        "How to run and what each figure measures: [benchmarks/README.md](../benchmarks/README.md).",
        "",
        f"> **Noisy, shared machine.** This run shared {machine['logical_cores']} cores with other "
        f"engineers' test suites: load average {load0} (1/5/15 min) at the start, {load1} at the "
        f"end, {machine['cpu_busy_pct_start']:.0f} % CPU busy in the second before it started. "
        "Every figure is therefore measured side by side: ours and each peer interleaved sample by "
        "sample, so load swings hit both, and reported as medians (>= 5 samples, except where a "
        "peer's own run takes minutes: its `n` says how many) and ratios of medians. Absolute "
        "numbers will be better on an idle machine; the ratios are the point.",
        "",
        "## Machine",
        "",
        "| | |", "|---|---|",
        f"| CPU | {machine['cpu']} |",
        f"| cores | {machine['logical_cores']} logical, {machine['physical_cores']} physical |",
        f"| RAM | {machine['ram_gib']} GiB |",
        f"| OS | {machine['os']} |",
        f"| Python | {machine['python']} |",
        f"| load average at start | {load0} |",
        f"| load average at end | {load1} |",
        f"| pyruns (peer) | {peers['pyruns']['status']} |",
        f"| GNU parallel (peer) | {peers['gnu_parallel']['status']} |",
        "",
        "## Summary",
        "",
        *summary_table(rows),
        "",
    ]
    for figure, title in FIGURES.items():
        chosen = [m for m in rows if m.figure == figure]
        if not chosen:
            continue
        lines += [f"## {figure}. {title}", "", *figure_table(chosen), ""]
        notes = [f"- {m.title}: {note}" for m in chosen for note in m.notes]
        lines += [*notes, ""] if notes else []
    lines += ["## Misses", "", *misses(rows), "", "## Commentary", "", COMMENTARY_START,
              commentary, COMMENTARY_END, ""]
    rooms = data.get("rooms") or {}
    if rooms:
        lines += ["## Per-room benchmarks", "",
                  "Each room's own script, run unchanged in the same session (their numbers are "
                  "single runs or best-of-N as each script says, not side by side).", ""]
        for key, room in rooms.items():
            status = "" if room["returncode"] == 0 else f" — exit {room['returncode']}"
            lines += [f"### `{room['script']}` ({room['what']}; {room['seconds']:.0f} s{status})", ""]
            lines += [f"Note: {room['note']}.", ""] if room.get("note") else []
            lines += ["```text", room["output"] or "(no output)", "```", ""]
    return "\n".join(lines).rstrip() + "\n"


def write_markdown(path: Path, data: dict[str, Any], rows: list[Measurement]) -> None:
    text = markdown(data, rows, kept_commentary(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
