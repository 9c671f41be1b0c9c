"""Smoke test of the benchmark runner (benchmarks/run.py): one cheap figure end to end, and its verdict rules.

Speed itself is never asserted here (that is what the benchmark reports); this only checks that the
one-command benchmark still runs and writes results a reader can trust.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RUN = REPO / "benchmarks" / "run.py"
sys.path.insert(0, str(REPO / "benchmarks"))

from suite.harness import Goal, Measurement, Samples, side_by_side  # noqa: E402


def test_quick_single_figure_writes_results_json_and_doc(tmp_path: Path) -> None:
    results, doc = tmp_path / "results.json", tmp_path / "benchmarks.md"
    done = subprocess.run([sys.executable, str(RUN), "--quick", "--only", "startup.help",
                           "--results", str(results), "--doc", str(doc)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    data = json.loads(results.read_text())
    assert data["schema_version"] == 1
    assert data["run"]["mode"] == "quick" and data["run"]["only"] == ["startup.help"]
    assert data["machine"]["logical_cores"] >= 1 and data["machine"]["python"]
    assert data["peers"]["pyruns"]["status"].startswith("not asked")
    (m,) = data["measurements"]
    assert m["id"] == "startup.help" and m["figure"] == 5
    samples = m["ours"]["samples"]
    assert m["repeats"] == len(samples) >= 3
    assert all(s > 0 for s in samples)
    assert m["value"] == statistics.median(samples)
    assert m["goals"][0]["text"] == "< 0.3 s"
    assert m["verdict"] == m["goals"][0]["verdict"] == ("pass" if m["value"] < 0.3 else "fail")
    assert m["peers"]["pyruns"]["status"].startswith("not asked")
    assert m["peers"]["floor: python -c pass"]["repeats"] == len(samples)
    text = doc.read_text()
    assert "| `--help` wall time |" in text and "load average at start" in text


def test_unknown_figure_is_a_usage_error(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(RUN), "--only", "no-such-figure",
                           "--results", str(tmp_path / "r.json")],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "no figure matches" in done.stderr
    assert not (tmp_path / "r.json").exists()


def test_ratio_goals_compare_medians_with_the_named_peer() -> None:
    m = Measurement("x", 3, "x", "s", goals=[Goal(">= 3x faster", "faster", 3, "slow"),
                                              Goal("within 1.3x", "within", 1.3, "fast")])
    m.ours = Samples([1.0, 1.2, 9.0])            # median 1.2
    m.peers = {"slow": Samples([4.0, 3.5, 3.7]),  # median 3.7: 3.08x slower than ours
               "fast": Samples([1.0, 0.9, 0.95])}  # median 0.95: ours is 1.26x of it
    assert [m.goal_verdict(g) for g in m.goals] == ["pass", "pass"]
    m.peers["fast"] = Samples([0.9, 0.9, 0.9])   # ours is 1.33x of it
    assert m.verdict == "fail"
    m.peers["slow"] = Samples(status="not asked (run with --peers)")
    assert m.goal_verdict(m.goals[0]).startswith("n/a (slow: not asked")


def test_throughput_ratio_and_every_sample_goal() -> None:
    rate = Measurement("r", 4, "r", "MB/s", higher_is_better=True)
    rate.ours, rate.peers = Samples([100.0]), {"p": Samples([25.0])}
    assert rate.speedup("p") == 4.0
    stall = Measurement("s", 4, "s", "ms", goals=[Goal("no stall > 100 ms", "all_below", 100)])
    stall.ours = Samples([20.0, 30.0, 120.0])    # median passes, one sample does not
    assert stall.verdict == "fail"


def test_side_by_side_interleaves_and_caps_a_slow_peer_by_budget() -> None:
    order: list[str] = []

    def sampler(name: str, value: float):  # type: ignore[no-untyped-def]
        def sample() -> float:
            order.append(name)
            return value
        return sample

    ours, peers = side_by_side(sampler("ours", 1.0), {"peer": sampler("peer", 2.0), "absent": None},
                               repeats=5, peer_budget_s=0.0)
    assert ours.values == [1.0] * 5
    assert peers["peer"].values == [2.0]          # at least one sample, then over budget
    assert peers["absent"].values == []
    assert order[:3] == ["ours", "peer", "ours"]


def headings(markdown: str) -> list[str]:
    """The `## ` headings of a markdown text, those inside code fences (room outputs) left out."""
    found, fenced = [], False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif line.startswith("## ") and not fenced:
            found.append(line[3:])
    return found


def test_a_regenerated_report_keeps_every_hand_written_section(tmp_path: Path) -> None:
    """A full run rewrites docs/benchmarks.md keeping only its commentary block: a hand-written
    section anywhere else (as sessions had appended at the end) would be lost."""
    from suite.report import FIGURES

    original = (REPO / "docs" / "benchmarks.md").read_text()
    doc = tmp_path / "benchmarks.md"
    doc.write_text(original)
    done = subprocess.run([sys.executable, str(RUN), "--quick", "--only", "startup.help",
                           "--results", str(tmp_path / "results.json"), "--doc", str(doc)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    generated = {"Machine", "Summary", "Misses", "Commentary", "Per-room benchmarks",
                 *(f"{number}. {title}" for number, title in FIGURES.items())}
    kept = set(headings(doc.read_text()))
    assert [h for h in headings(original) if h not in generated and h not in kept] == []
