"""Settings edited while the runner is up: a file read half-written is never acted on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pyruns_tui.runner import control
from pyruns_tui.workspace import settings as S
from pyruns_tui.workspace.model import Status
from tests.runner.harness import SETTINGS, Project, until

MARK = "import os; print(os.environ.get('MARK', 'defaults'))"


def test_a_settings_file_being_written_is_not_acted_on(project: Project) -> None:
    # `Path.write_text`, `echo ... > file` and editors truncate the file, then write it: a runner
    # that read it in between took the half it held for the settings (an empty file is all
    # defaults) and started the queued tasks with them (a test saw tasks submitted to Slurm's
    # default partition). Here the writer stops half-way, file open, while a task is queued
    path = project.layout.settings_file
    path.write_text(SETTINGS + "env: {MARK: old}\n")
    first = project.add("first", MARK)
    control.queue(project.store, [first])
    assert project.wait(first)[first].status is Status.COMPLETED, project.explain(first)
    assert project.log(first).decode().split() == ["old"]
    log = project.runner_paths.log
    with path.open("w") as writer:  # truncated; the first half is valid YAML without `env`
        writer.write(SETTINGS)
        writer.flush()
        second = project.add("second", MARK)
        control.queue(project.store, [second])
        until(lambda: "being written" in log.read_text() or project.task(second).status is not Status.QUEUED,
              what="the runner to look at the settings being written")
        assert project.task(second).status is Status.QUEUED, project.explain(second)
        line = next(ln for ln in log.read_text().splitlines() if "being written" in ln)
        assert str(path) in line and "keeping the previous settings" in line, line
        writer.write("env: {MARK: new}\n")
    assert project.wait(second)[second].status is Status.COMPLETED, project.explain(second)
    assert project.log(second).decode().split() == ["new"]
    assert "settings written: queued tasks start again" in log.read_text()


def test_a_file_changed_while_read_is_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the write lands while the reader reads (stat before and after differ): the half read is
    # not taken; read again, the whole file is
    from pyruns_tui.workspace import fsio

    path = tmp_path / "_pyruns_settings.yaml"
    path.write_text("executor: slurm\nslurm: {partition: gpu}\n")
    real = fsio.read_fd
    writes = ["max_concurrency: 2\n", "max_concurrency: 3\nexecutor: slurm\n"]

    def read_then_write(fd: int, cap: int | None = None) -> bytes:
        data = real(fd, cap)
        if writes:
            path.write_text(writes.pop(0))  # the writer's next step, right after this read
        return data

    monkeypatch.setattr(fsio, "read_fd", read_then_write)
    with pytest.raises(S.SettingsInFlux, match="changed while being read"):
        S.load_settings_settled(path)  # changed during both reads
    settings = S.load_settings_settled(path)
    assert (settings.max_concurrency, settings.executor) == (3, "slurm")


def test_a_file_open_for_writing_is_in_flux_and_a_closed_empty_one_is_defaults(tmp_path: Path) -> None:
    path = tmp_path / "_pyruns_settings.yaml"
    path.write_text("max_concurrency: 2\n")
    with path.open("w"):
        if not _leases_work(path):
            pytest.skip("no file leases here (not Linux, or a filesystem without them)")
        with pytest.raises(S.SettingsInFlux, match="open for writing"):
            S.load_settings_settled(path)
    assert S.load_settings_settled(path) == S.Settings()  # an empty file is all defaults, once written


def _leases_work(path: Path) -> bool:
    fd = os.open(path, os.O_RDONLY)
    try:
        return S.being_written(fd)
    finally:
        os.close(fd)
