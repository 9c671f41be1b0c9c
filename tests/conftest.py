"""Shared fixtures: real workspaces in tmp dirs."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

from pyruns_tui.workspace.bootstrap import ScriptInfo, write_script_info
from pyruns_tui.workspace.layout import PYRUNS_DIR, Layout
from pyruns_tui.workspace.store import NewTask, TaskStore

# CI runs the property tests on a fixed sequence of examples (a red build always reproduces);
# developers' runs explore new examples each time.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "demo_scripts"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # tests never see a developer's real GPUs or settings through the environment
    monkeypatch.delenv("__PYRUNS_CONFIG__", raising=False)
    monkeypatch.delenv("PYRUNS_TASK_DIR", raising=False)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)


# Textual's Pilot waits after every key it presses (Pilot.press -> App._press_keys, twice a key)
# until the process looks idle: textual._wait.wait_for_idle sleeps SLEEP_GRANULARITY (20 ms in
# Textual 8.2.8) at a time until one sleep in which the process used under SLEEP_IDLE (1/20 of
# it) in CPU. Those fixed 20 ms sleeps were most of the TUI tests' wall time (the search-as-you-
# type test: 19 of its 20 s, ~50 ms a wait, the process idle meanwhile). The tests sleep 5 ms at
# a time: the same idle test (under 5% CPU over one sleep), only finer. The screen's update timer
# (textual.screen.UPDATE_PERIOD, 1/60 s) is kept shorter than one sleep, as 1/60 s is shorter
# than 20 ms: Screen._on_idle leaves a pending layout and the call_after_refresh callbacks to
# that timer, so a key's wait still covers them (with 5 ms sleeps alone a Monitor log search test
# failed 1 run in 6, its view scrolled to the end after the search). The product's own timers
# are 50 ms or more, longer than 20 ms already: tests wait on them by condition (tests/waiting.py).
# monkeypatch.setattr fails every test if a Textual upgrade renames one of these.
PILOT_IDLE_STEP_S = 0.005


@pytest.fixture(autouse=True)
def _pilot_idle_step(monkeypatch: pytest.MonkeyPatch) -> None:
    import textual._wait
    import textual.screen

    monkeypatch.setattr(textual._wait, "SLEEP_GRANULARITY", PILOT_IDLE_STEP_S)
    monkeypatch.setattr(textual._wait, "SLEEP_IDLE", PILOT_IDLE_STEP_S / 20)
    monkeypatch.setattr(textual.screen, "UPDATE_PERIOD", PILOT_IDLE_STEP_S * 0.8)


@dataclass(frozen=True)
class Shown:
    """One notification a Textual app showed (see the `notifications` fixture)."""

    message: str
    title: str
    severity: str
    markup: bool = False  # whether Textual read the message as markup (`[b]`, `[@click=...]`)


@pytest.fixture
def notifications(monkeypatch: pytest.MonkeyPatch) -> list[Shown]:
    """The notifications the apps of this test showed since they last cleared them, in order (screens
    and widgets notify through the app)."""
    from textual.app import App

    shown: list[Shown] = []
    original = App.notify

    def notify(self: App[object], message: str, *, title: str = "", severity: str = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        shown.append(Shown(str(message), title, severity, markup))
        original(self, message, title=title, severity=severity, timeout=timeout, markup=markup)

    def clear_notifications(self: App[object]) -> None:
        shown.clear()
        original_clear(self)

    original_clear = App.clear_notifications
    monkeypatch.setattr(App, "notify", notify)
    monkeypatch.setattr(App, "clear_notifications", clear_notifications)
    return shown


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    """An empty workspace named `train` under tmp_path/_pyruns_, for a plain script."""
    lay = Layout(root=tmp_path / PYRUNS_DIR, name="train")
    lay.tasks_dir.mkdir(parents=True)
    write_script_info(lay, ScriptInfo(script=str(tmp_path / "train.py"), kind="plain"))
    return lay


@pytest.fixture
def store(layout: Layout) -> TaskStore:
    return TaskStore(layout)


def make_tasks(store: TaskStore, count: int, prefix: str = "t", **config: object) -> list[str]:
    """Create `count` tasks with config {i: n, **config}; returns their names."""
    new = [NewTask(name=f"{prefix}{i}", config={"i": i, **config}) for i in range(count)]
    return [t.name for t in store.create_tasks(new, task_kind="plain", script=None)]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `slow` or `browser` run first, the rest in their usual order: with xdist's load
    distribution the last tests to start decide when the run ends, and a slow one started last
    leaves the other workers idle meanwhile (every worker collects the same order)."""
    items.sort(key=lambda item: not (item.get_closest_marker("slow") or item.get_closest_marker("browser")))


def environ_without_pyruns() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("PYRUNS_", "__PYRUNS"))}


def require_backend(name: str, available: bool, why: str) -> None:
    """Skip a test whose real backend (tmux, Slurm, Chromium...) is missing, locally; fail in CI.

    CI (`CI` set, as `.ci/run` runs) or `PYRUNS_TEST_REQUIRE_<NAME>=1` turns the skip into a
    failure, so a backend that did not come up cannot hide its tests.
    """
    if available:
        return
    required = os.environ.get("CI") or os.environ.get(f"PYRUNS_TEST_REQUIRE_{name.upper()}") == "1"
    if required:
        pytest.fail(f"{name} backend missing in CI: {why}", pytrace=False)
    pytest.skip(f"{name} backend missing: {why}")
