"""What a run records: redacted environment, git commit and dirty flag."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pyruns_tui.runner.daemon.record import REDACTED, read_git, redact_env
from tests.runner.harness import git


def test_secret_names_are_redacted_case_insensitively() -> None:
    env = {"HF_TOKEN": "t", "aws_secret_access_key": "s", "DB_Password": "p", "API_KEY": "k", "PATH": "/bin", "HOME": "/h"}
    out = redact_env(env)
    assert out == {"API_KEY": REDACTED, "DB_Password": REDACTED, "HF_TOKEN": REDACTED, "HOME": "/h", "PATH": "/bin",
                   "aws_secret_access_key": REDACTED}
    assert list(out) == sorted(out)


@pytest.mark.parametrize("env", [
    {}, {"A": "1"},
    {"HF_TOKEN": "t", "PATH": "/bin", "DATABASE_URL": "postgres://me:hunter2@db/x", "Z": "λ\x00\"\u2028", "OLDPWD": "/h",
     "AUTH_HEADER": "Bearer abcdefghijkl", "CFG": '{"password": "x"}', "PYRUNS_TUI_TASK_DIR": "/p/_pyruns_/t/tasks/a"},
])
def test_a_runs_environment_file_is_exactly_the_redacted_environment_as_json(env: dict[str, str]) -> None:
    """run_logs/runN.env.json: each variable's line is laid out once per runner, the file unchanged."""
    from pyruns_tui.runner.redact import redacted_env_json
    from pyruns_tui.workspace.fsio import dump_json

    for _ in range(2):  # the second time from the runner's cache of lines
        assert redacted_env_json(env) == dump_json(redact_env(env))


def test_passwords_inside_urls_are_masked() -> None:
    out = redact_env({"DATABASE_URL": "postgres://me:hunter2@db:5432/x", "PLAIN": "http://host/a:b@c"})
    assert out["DATABASE_URL"] == f"postgres://me:{REDACTED}@db:5432/x"
    assert "hunter2" not in str(out)


def test_a_command_line_keeps_its_parameters_and_loses_its_secrets() -> None:
    from pyruns_tui.runner.redact import redact_argv

    kept = ["/usr/bin/python3", "/p/train.py", "--lr", "0.01", "--max_tokens", "2048", "--tokenizer", "gpt2",
            "--key_dim", "64", "--sig", "0.5", "--pat", "3", "--amp", "--tags", "a", "b", "--neg=-1", "pos"]
    assert redact_argv(kept) == kept  # ML parameters whose names hold a secret's word are no secrets
    secrets = ["python", "t.py", "--api-key", "abc", "--hf_token=hf_x", "--db-password", "-1234", "--amp",
               "--data", "postgres://me:hunter2@db/x", "--wandb_api_key", "--lr", "1"]
    assert redact_argv(secrets) == ["python", "t.py", "--api-key", REDACTED, f"--hf_token={REDACTED}", "--db-password",
                                    REDACTED, "--amp", "--data", f"postgres://me:{REDACTED}@db/x", "--wandb_api_key",
                                    "--lr", "1"]  # (a secret option given no value: the next option is kept)
    for shaped in ("postgres://me:hunter2@db/x", "pwd=hunter2", '{"auth": "hunter2"}', "Bearer abcdefghijkl",
                   "eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl", "ghp_" + "a" * 30, "github_pat_" + "a" * 30, "glpat-" + "a" * 20,
                   "xoxb-1234567890", "sk-" + "a" * 20, "npm_" + "a" * 30, "AKIA" + "A" * 16,
                   "https://hooks.slack.com/services/T0/B0/x"):  # every shape of the environment's rule
        assert redact_argv(["python", "t.py", "--data", shaped])[-1] != shaped, shaped
    shell = ["/bin/bash", "-c", "HF_TOKEN=hf_abc OMP_NUM_THREADS=4 python t.py --api-key 'x y' --lr 1 && echo done"]
    assert redact_argv(shell)[2] == f"HF_TOKEN={REDACTED} OMP_NUM_THREADS=4 python t.py --api-key {REDACTED} --lr 1 && echo done"


def test_git_commit_and_dirty_flag_of_the_scripts_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "sub").mkdir(parents=True)
    git(repo, "init", "-q")
    (repo / "train.py").write_text("print(1)\n")
    git(repo, "add", "train.py")
    git(repo, "commit", "-q", "-m", "one")
    info = read_git(repo / "sub")
    assert info is not None and len(info["commit"]) == 40 and info["dirty"] is False
    assert Path(info["root"]).resolve() == repo.resolve()
    (repo / "train.py").write_text("print(2)\n")
    assert read_git(repo)["dirty"] is True  # type: ignore[index]


def test_no_repository_gives_none(tmp_path: Path) -> None:
    if subprocess.run(["git", "-C", str(tmp_path), "rev-parse"], capture_output=True).returncode == 0:
        pytest.skip("the temp dir is inside a git repository")
    assert read_git(tmp_path) is None


def test_a_git_state_read_ahead_is_used_while_fresh_and_read_again_once_old(tmp_path: Path, monkeypatch) -> None:
    """The runner reads its workspace's git state as it starts (GitCache.prefetch); a runner that
    then idled longer than the cache keeps a state must not record that old state: it reads again."""
    import asyncio

    from pyruns_tui.runner.daemon import record
    from tests.runner.harness import until

    reads: list[Path] = []

    def read(directory: Path) -> dict[str, str]:
        reads.append(directory)
        return {"commit": f"read {len(reads)}"}

    monkeypatch.setattr(record, "_read_in_thread", read)
    loop = asyncio.new_event_loop()
    try:
        for ttl_s, expected in ((60.0, "read 1"), (0.0, "read 3")):
            cache = record.GitCache(ttl_s)
            cache.prefetch(tmp_path, loop, lambda: None)
            cache.prefetch(tmp_path, loop, lambda: None)  # one read at a time per folder
            until(lambda: cache._reading[tmp_path].done.is_set(), what="the read ahead to end")  # noqa: B023
            assert cache.read(tmp_path, loop, lambda: None) == (True, {"commit": expected})
    finally:
        loop.close()
    assert len(reads) == 3  # fresh: used as read ahead; old: read again
