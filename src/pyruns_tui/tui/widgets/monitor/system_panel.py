"""SystemPanel: CPU, RAM and per-GPU utilisation/memory with fixed-scale sparklines and processes;
on a workspace that runs on Slurm, the cluster view (its tasks on Slurm by status, the partitions)
instead of this machine's GPUs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual.timer import Timer
from textual.widget import Widget

from pyruns_tui.humanize import format_bytes
from pyruns_tui.runner.gpus import GpuDevice
from pyruns_tui.tui.models.system_feed import SystemFeed, SystemSample, shared_feed
from pyruns_tui.tui.widgets.monitor.sparkline import fixed_sparkline

if TYPE_CHECKING:
    from pyruns_tui.runner.slurm.view import ClusterLoad
    from pyruns_tui.workspace.layout import Layout

REPAINT_HZ = 1.0
CLUSTER_EVERY_S = 5.0  # sinfo + squeue: a cluster's view changes slowly, its daemons are shared
LABEL = 10  # "GPU0  45% " — the sparkline takes the rest of the width


def _mb(value: float) -> str:
    return format_bytes(value * 2**20)


def _pct_style(pct: float) -> str:
    return "bold red" if pct >= 90 else "yellow" if pct >= 60 else "green"


def bucket_means(values: Sequence[float | None], size: int) -> list[float | None]:
    """Means of consecutive groups of `size` values, grouped from the newest (gaps ignored)."""
    if size <= 1:
        return list(values)
    out: list[float | None] = []
    for end in range(len(values), 0, -size):
        group = [v for v in values[max(0, end - size):end] if v is not None]
        out.append(sum(group) / len(group) if group else None)
    out.reverse()
    return out


def _spark_line(label: str, pct: float | None, values: Sequence[float | None], width: int,
                per_point: int = 1) -> Text:
    line = Text(no_wrap=True, overflow="crop")
    line.append(f"{label:<4} ", style="bold")
    if pct is None:
        line.append(" n/a ", style="dim")
    else:
        line.append(f"{pct:3.0f}% ", style=_pct_style(pct))
    line.append(fixed_sparkline(bucket_means(values, per_point), max(0, width - LABEL)), style="cyan")
    return line


def render_cluster(load: ClusterLoad | None, jobs: Mapping[str, int] | None = None) -> list[Text]:
    """The cluster view's lines: this workspace's tasks on Slurm by their own status (`jobs`:
    `{"running": 1, "queued": 2}`, the words of the task list), then one line per partition."""
    if load is None:
        return [Text("Slurm: asking…", style="dim")]
    head = Text(no_wrap=True, overflow="ellipsis")
    head.append("Slurm ", style="bold")
    head.append(" · ".join(f"{n} {status}" for status, n in (jobs or {}).items() if n)
                or "no task of this workspace queued or running")
    lines = [head]
    if load.problem:
        lines.append(Text(load.problem, style="red", no_wrap=True, overflow="ellipsis"))
    for part in load.partitions:
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(f"{part.name:<10} ", style="bold cyan")
        line.append(f"{part.available} {part.nodes} node{'s' if part.nodes != 1 else ''} ", style="dim")
        line.append(f"run {part.running} ", style="green")
        line.append(f"pend {part.pending}", style="yellow" if part.pending else "dim")
        lines.append(line)
    return lines


def render_system(history: Sequence[SystemSample], width: int, per_point: int = 1,
                  cluster: ClusterLoad | None = None, on_slurm: bool = False,
                  jobs: Mapping[str, int] | None = None) -> Text:
    """The panel's text for the samples in `history` (latest last) at `width` cells; each
    sparkline point is the mean of `per_point` samples. `on_slurm`: the cluster view replaces
    this machine's GPUs, `jobs` its tasks on Slurm by status."""
    if not history:
        return Text("sampling…", style="dim")
    latest = history[-1]
    lines = [
        _spark_line("CPU", latest.cpu_pct, [s.cpu_pct for s in history], width, per_point),
        _spark_line("RAM", latest.ram_pct, [s.ram_pct for s in history], width, per_point),
        Text(f"     {_mb(latest.ram_used_mb)} / {_mb(latest.ram_total_mb)}", style="dim", no_wrap=True),
    ]
    if on_slurm:
        lines += render_cluster(cluster, jobs)
    elif not latest.gpus:
        lines.append(Text("no NVIDIA GPU", style="dim italic"))
    for device in () if on_slurm else latest.gpus:
        lines += _gpu_lines(device, history, latest, width, per_point)
    text = Text("\n", no_wrap=True, overflow="crop").join(lines)
    text.no_wrap, text.overflow = True, "crop"
    return text


def _gpu_lines(device: GpuDevice, history: Sequence[SystemSample], latest: SystemSample, width: int,
               per_point: int) -> list[Text]:
    def series(attr: str) -> list[float | None]:
        out: list[float | None] = []
        for sample in history:
            match = next((g for g in sample.gpus if g.index == device.index), None)
            if match is None:
                out.append(None)
            elif attr == "mem":
                out.append(100 * match.mem_used_mb / match.mem_total_mb if match.mem_total_mb else None)
            else:
                out.append(match.util_pct)
        return out

    mem_pct = 100 * device.mem_used_mb / device.mem_total_mb if device.mem_total_mb else None
    lines = [
        _spark_line(f"GPU{device.index}", device.util_pct, series("util"), width, per_point),
        _spark_line(" mem", mem_pct, series("mem"), width, per_point),
    ]
    info = Text(no_wrap=True, overflow="ellipsis")
    info.append(f"     {_mb(device.mem_used_mb)}/{_mb(device.mem_total_mb)}", style="dim")
    if device.temperature_c is not None:
        info.append(f" {device.temperature_c:.0f}°C", style="red" if device.temperature_c >= 80 else "dim")
    if device.power_w is not None:
        info.append(f" {device.power_w:.0f}W", style="dim")
    lines.append(info)
    for proc in device.processes:
        owner = latest.owners.get(proc.pid)
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append("     ▸ ", style="dim")
        if owner:
            line.append(owner, style="bold cyan")
            line.append(f" {proc.pid}", style="dim")
        else:
            line.append(f"{proc.pid} {proc.name}".strip(), style="dim")
        if proc.used_mb:
            line.append(f" {_mb(proc.used_mb)}", style="dim")
        lines.append(line)
    return lines


class SystemPanel(Widget):
    """Live CPU/RAM/GPU panel fed by the shared `SystemFeed` (sampling at `hz`); repaints at
    most once a second and only when its text changes (each sparkline point is the mean of
    the samples of one repaint interval).

    Attributes: `feed` (the sampler it listens to), `active` (listening; off while the screen
    is hidden). No bindings; no component classes (colours are inline).
    """

    DEFAULT_CSS = """
    SystemPanel { height: auto; max-height: 60%; text-wrap: nowrap; text-overflow: clip; }
    """

    def __init__(self, feed: SystemFeed | None = None, *, hz: float = 4.0, cluster: Layout | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.feed = feed
        self.cluster = cluster  # the workspace that runs on Slurm, or None
        self.cluster_load: ClusterLoad | None = None
        self.slurm_tasks: dict[str, int] = {}  # the workspace's tasks on Slurm by status: `{"running": 1}`
        self._cluster_timer: Timer | None = None
        self.hz = hz
        # the numbers move with every sample: repainting once a second keeps an idle screen quiet
        self.repaint_hz = min(hz, REPAINT_HZ)
        self.active = False
        self._seen = -1
        self._text = Text("sampling…", style="dim")
        self._timer: Timer | None = None

    def on_mount(self) -> None:
        if self.feed is None:
            self.feed = shared_feed(self.hz)
        self.set_active(True)

    def on_unmount(self) -> None:
        self.set_active(False)

    def set_active(self, active: bool) -> None:
        """Listen to the feed (and check it at `repaint_hz`) or stop listening."""
        feed = self.feed
        if feed is None or active == self.active:
            return
        self.active = active
        if active:
            feed.subscribe()
            if feed.latest is None:
                feed.sample_now()
            self.update_from_feed()
            self._timer = self.set_interval(1.0 / self.repaint_hz, self.update_from_feed)
            if self.cluster is not None:
                self._ask_cluster()
                self._cluster_timer = self.set_interval(CLUSTER_EVERY_S, self._ask_cluster)
        else:
            feed.unsubscribe()
            for timer in (self._timer, self._cluster_timer):
                if timer is not None:
                    timer.stop()
            self._timer = self._cluster_timer = None

    def _ask_cluster(self) -> None:
        self.run_worker(self._cluster_worker, thread=True, exclusive=True, group="cluster")

    def _cluster_worker(self) -> None:
        from pyruns_tui.runner.slurm.view import cluster_load

        load = cluster_load()
        self.app.call_from_thread(self._set_cluster, load)

    def _set_cluster(self, load: ClusterLoad) -> None:
        self.cluster_load = load
        self._seen = -1
        self.update_from_feed()

    def set_slurm_tasks(self, counts: dict[str, int]) -> None:
        """The workspace's tasks on Slurm by their status, as the task list shows them: Slurm's
        job states differ (a stopped task is `interrupted`, its job FAILED or CANCELLED)."""
        if counts != self.slurm_tasks:
            self.slurm_tasks = counts
            self._seen = -1
            self.update_from_feed()

    def update_from_feed(self) -> bool:
        """Re-render when the feed has a new sample and the text differs; True when repainted."""
        feed = self.feed
        if feed is None or feed.version == self._seen:
            return False
        self._seen = feed.version
        per_point = max(1, round(feed.hz / self.repaint_hz))
        text = render_system(list(feed.history), max(LABEL + 4, self.size.width or 30), per_point,
                             self.cluster_load, self.cluster is not None, self.slurm_tasks)
        if text == self._text:
            return False
        resized = text.plain.count("\n") != self._text.plain.count("\n")
        self._text = text
        self.refresh(layout=resized)
        return True

    def on_resize(self) -> None:
        self._seen = -1
        self.update_from_feed()

    def get_content_height(self, container, viewport, width: int) -> int:  # type: ignore[no-untyped-def]
        return self._text.plain.count("\n") + 1

    def render(self) -> Text:
        return self._text
