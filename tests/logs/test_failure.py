"""logs.failure: the cause of a failed run from what real failing programs wrote to a real pty."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from pyruns_tui.logs.failure import (
    KERNEL_OOM,
    error_cause,
    error_matches,
    find_tracebacks,
    summarize_failure,
    traceback_near,
)
from pyruns_tui.logs.plain import iter_plain_lines
from pyruns_tui.runner.breaker import error_signature
from tests.logs.pty_recorder import record_pty


def _lines(code: str, *args: str) -> list[str]:
    return list(iter_plain_lines(record_pty([sys.executable, *args, "-c", code])))


def _exit(code: str) -> tuple[int | None, int | None]:
    """(exit_code, signal) of `code` run as a plain subprocess (what the supervisor records)."""
    rc = subprocess.run([sys.executable, "-c", code], capture_output=True).returncode
    return (None, -rc) if rc < 0 else (rc, None)


def _summary(code: str, *args: str):  # type: ignore[no-untyped-def]
    lines = _lines(code, *args)
    exit_code, sig = _exit(code)
    return lines, summarize_failure(lines, exit_code=exit_code, signal_number=sig)


def test_plain_traceback_gives_the_exception_and_the_line_it_starts_on() -> None:
    lines, summary = _summary("print('epoch 1')\nprint('epoch 2')\n{}['lr']")
    assert summary.error == "KeyError: 'lr'"
    assert summary.line == 3 and lines[2] == "Traceback (most recent call last):"


def test_chained_exception_is_one_block_ending_with_the_last_exception() -> None:
    code = (
        "def load():\n"
        "    try:\n"
        "        open('/nonexistent/data.csv')\n"
        "    except FileNotFoundError as exc:\n"
        "        raise RuntimeError('cannot load the data') from exc\n"
        "try:\n"
        "    load()\n"
        "except RuntimeError:\n"
        "    raise ValueError('giving up')\n"
    )
    lines, summary = _summary(code)
    assert summary.error == "ValueError: giving up"
    blocks = find_tracebacks(lines)
    assert len(blocks) == 1
    block = lines[blocks[0].start:blocks[0].end]
    assert block[0] == "Traceback (most recent call last):"
    assert any("No such file or directory" in line for line in block)
    assert block[-1] == "ValueError: giving up"
    assert summary.line == 1


def test_exception_inside_a_tqdm_loop_with_a_half_drawn_bar() -> None:
    code = (
        "from tqdm import tqdm\n"
        "bar = tqdm(total=100)\n"
        "for i in range(100):\n"
        "    bar.update(1)\n"
        "    if i == 40:\n"
        "        raise ZeroDivisionError('loss is nan at step 40')\n"
    )
    lines, summary = _summary(code)
    assert summary.error == "ZeroDivisionError: loss is nan at step 40"
    start = lines[summary.line - 1]
    assert start.endswith("Traceback (most recent call last):") and "%|" in start  # after the bar


def test_exception_in_a_for_tqdm_loop_whose_bar_is_closed_after_the_traceback() -> None:
    code = "from tqdm import tqdm\nfor i in tqdm(range(50)):\n    if i == 7:\n        import nosuchmodule_xyz\n"
    lines, summary = _summary(code)
    assert summary.error == "ModuleNotFoundError: No module named 'nosuchmodule_xyz'"


def test_segfault_in_a_c_extension() -> None:
    lines, summary = _summary("import ctypes\nprint('loading')\nctypes.string_at(0)")
    assert summary.error == "Segmentation fault" and summary.line is None


def test_segfault_with_faulthandler_output_is_still_a_segfault() -> None:
    code = "import ctypes\nctypes.string_at(0)"
    lines = _lines(code, "-X", "faulthandler")
    assert any("Fatal Python error: Segmentation fault" in line for line in lines)
    assert summarize_failure(lines, exit_code=None, signal_number=signal.SIGSEGV).error == "Segmentation fault"


def test_sigkill_is_killed_and_with_the_kernel_oom_killer_out_of_memory() -> None:
    code = "import os, signal\nprint('step 1')\nos.kill(os.getpid(), signal.SIGKILL)"
    lines, summary = _summary(code)
    assert summary.error == "Killed"
    assert summarize_failure(lines, exit_code=None, signal_number=9, kernel_oom=True).error == KERNEL_OOM
    assert summarize_failure(lines, exit_code=137, signal_number=None, kernel_oom=True).error == KERNEL_OOM


def test_a_traceback_logged_earlier_does_not_hide_a_later_kill() -> None:
    code = (
        "import logging, os, signal\n"
        "try:\n    1 / 0\nexcept ZeroDivisionError:\n    logging.exception('step failed, going on')\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    assert _summary(code)[1].error == "Killed"


def test_exit_1_without_a_traceback() -> None:
    lines, summary = _summary("print('training...')\nimport sys\nsys.exit(1)")
    assert summary.error == "exit code 1" and summary.line is None


def test_argparse_usage_error() -> None:
    code = "import argparse\np = argparse.ArgumentParser(prog='train.py')\np.add_argument('--lr', type=float)\np.parse_args(['--lr', 'abc'])"
    assert _summary(code)[1].error == "train.py: error: argument --lr: invalid float value: 'abc'"


def test_exception_group() -> None:
    code = "raise ExceptionGroup('two failed', [ValueError('a'), TypeError('b')])"
    if sys.version_info < (3, 11):
        pytest.skip("exception groups need Python 3.11")
    assert _summary(code)[1].error == "ExceptionGroup: two failed (2 sub-exceptions)"


def test_bash_reports_of_a_dead_child() -> None:
    lines = list(iter_plain_lines(record_pty(
        ["bash", "-c", f"{sys.executable} -c 'import ctypes; ctypes.string_at(0)'; echo cleanup; exit 3"])))
    assert summarize_failure(lines, exit_code=3, signal_number=None).error == "Segmentation fault"
    assert summarize_failure(["Killed 3 zombie workers"], exit_code=1, signal_number=None).error == "exit code 1"


def test_cuda_and_nccl_messages_without_a_traceback() -> None:
    cuda = ["step 3", "RuntimeError: CUDA error: out of memory", "CUDA kernel errors might be asynchronously reported"]
    assert summarize_failure(["x", *cuda[1:]], exit_code=1, signal_number=None).error == "CUDA out of memory"
    nccl = ["rank 0 ready", "NCCL error in: ProcessGroupNCCL.cpp:1234, unhandled system error"]
    assert summarize_failure(nccl, exit_code=1, signal_number=None).error.startswith("NCCL error in:")


def test_cuda_out_of_memory_traceback_keeps_its_exception_line() -> None:
    lines = [
        "Traceback (most recent call last):",
        '  File "train.py", line 9, in <module>',
        "    loss = model(x)",
        "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 79.15 GiB total)",
    ]
    summary = summarize_failure(lines, exit_code=1, signal_number=None, first_line=101)
    assert summary.line == 101 and summary.error.startswith("torch.OutOfMemoryError: CUDA out of memory")
    assert error_cause(summary.error) == "CUDA out of memory"


def test_interleaved_output_is_not_a_traceback() -> None:
    assert find_tracebacks(["Traceback (most recent call last):", "  File 'x'", "", "ValueError: x"]) == []


def test_several_tracebacks_are_found_in_order() -> None:
    code = (
        "import traceback\n"
        "for n in range(3):\n"
        "    try:\n        raise KeyError(n)\n    except KeyError:\n        traceback.print_exc()\n"
        "raise SystemExit('bye')\n"
    )
    lines = _lines(code)
    assert [b.error for b in find_tracebacks(lines)] == ["KeyError: 0", "KeyError: 1", "KeyError: 2"]


def test_causes_group_similar_errors() -> None:
    assert error_cause("FileNotFoundError: [Errno 2] No such file or directory: 'a.csv'") == "FileNotFoundError"
    assert error_cause("__main__.BadConfig: lr") == "BadConfig"
    assert error_cause(KERNEL_OOM) == KERNEL_OOM
    assert error_cause("NCCL error: unhandled system error") == "NCCL error"
    assert error_cause("exit code 3") == "exit code 3"
    assert error_cause("KeyboardInterrupt") == "KeyboardInterrupt"
    assert error_signature("OOM. Tried to allocate 20.00 MiB on GPU 1") == error_signature(
        "OOM. Tried to allocate 40.50 MiB on GPU 3")


def test_error_search_terms() -> None:
    oom = "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB"
    assert error_matches("oom", oom) and error_matches("oom", KERNEL_OOM)
    assert error_matches("no such file", "FileNotFoundError: [Errno 2] No such file or directory: 'x'")
    assert error_matches("segfault", "Segmentation fault")
    assert not error_matches("oom", "KeyError: 'lr'")
    assert not error_matches("oom", None)


def test_traceback_near_walks_blocks_forward_and_backward_reading_few_lines() -> None:
    code = (
        "import traceback\n"
        "print('start')\n"
        "try:\n    {}['a']\nexcept KeyError:\n    traceback.print_exc()\n"
        "for i in range(300): print('step', i)\n"
        "def load():\n    try:\n        open('/nonexistent')\n    except OSError as e:\n        raise RuntimeError('load') from e\n"
        "load()\n"
    )
    lines = _lines(code)
    read: list[int] = []

    def line_at(i: int) -> str:
        read.append(i)
        return lines[i]

    first = traceback_near(line_at, len(lines), 0)
    assert first is not None and first.error == "KeyError: 'a'" and first.start == 1
    assert len(read) < 20
    second = traceback_near(line_at, len(lines), first.end)
    assert second is not None and second.error == "RuntimeError: load"
    assert lines[second.start] == "Traceback (most recent call last):"
    assert any("No such file" in line for line in lines[second.start:second.end])
    assert traceback_near(line_at, len(lines), second.end) is None
    # backwards from the middle of the chain: the chain's first traceback
    inner = next(i for i in range(second.start + 1, second.end) if "Traceback" in lines[i])
    assert traceback_near(line_at, len(lines), inner, forward=False) == second
    assert traceback_near(line_at, len(lines), second.start - 1, forward=False) == first
    assert traceback_near(line_at, len(lines), first.start - 1, forward=False) is None
    assert traceback_near(line_at, 0, 0) is None


def test_a_script_that_does_not_compile_is_its_syntax_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Python prints no `Traceback (most recent call last):` for the main script: it was `exit code 1`
    script = tmp_path / "train.py"
    script.write_text("import sys\nprint('lr', sys.argv\n")
    lines = list(iter_plain_lines(record_pty([sys.executable, str(script)])))
    summary = summarize_failure(lines, exit_code=1, signal_number=None)
    assert summary.error == "SyntaxError: '(' was never closed" and summary.line is not None
    [block] = find_tracebacks(lines)
    assert block.text(lines)[0].startswith('  File "') and block.text(lines)[-1] == summary.error
    bad_indent = tmp_path / "indent.py"
    bad_indent.write_text("if True:\nprint('x')\n")
    lines = list(iter_plain_lines(record_pty([sys.executable, str(bad_indent)])))
    assert summarize_failure(lines, exit_code=1, signal_number=None).error.startswith("IndentationError: ")


def test_a_cleanup_failing_after_the_crash_is_not_the_cause() -> None:
    # wandb, tensorboard writers and dataloaders often fail in an atexit hook or a __del__ after
    # the real crash; Python prints "Exception ignored in ..." and that traceback came last
    code = ("import atexit\n"
            "def cleanup():\n    raise RuntimeError('wandb: run finish failed')\n"
            "atexit.register(cleanup)\n"
            "raise ValueError('bad shape (3, 4) vs (4, 5)')\n")
    lines, summary = _summary(code)
    assert any(line.startswith("Exception ignored in") for line in lines), lines
    assert summary.error == "ValueError: bad shape (3, 4) vs (4, 5)"


def test_torchrun_names_the_childs_error_not_its_own() -> None:
    # torchrun's own traceback (ChildFailedError, an empty message) came last: every distributed
    # failure grouped as one cause, `...ChildFailedError:` with its colon
    code = ("import sys\nprint('Traceback (most recent call last):\\n  File \"train.py\", line 5, in <module>\\n"
            "    main()\\nValueError: invalid learning rate\\n[2024-05-01 10:00:00,000] torch.distributed.elastic"
            ".multiprocessing.api: [ERROR] failed (exitcode: 1) local_rank: 0\\nTraceback (most recent call last):\\n"
            "  File \"/usr/bin/torchrun\", line 8, in <module>\\n    sys.exit(main())\\n"
            "torch.distributed.elastic.multiprocessing.errors.ChildFailedError: \\n=====\\ntrain.py FAILED', "
            "file=sys.stderr)\nsys.exit(1)\n")
    lines, summary = _summary(code)
    assert summary.error == "ValueError: invalid learning rate"
    only_launcher = [line for line in lines if "ValueError" not in line and "main()" not in line]
    launcher = summarize_failure(only_launcher, exit_code=1, signal_number=None).error
    assert launcher == "torch.distributed.elastic.multiprocessing.errors.ChildFailedError"
    assert error_cause(launcher) == "ChildFailedError"


def test_an_interpreter_that_cannot_start_is_named() -> None:
    # the supervisor writes why the exec failed (settings `python:` wrong, a shell missing), then
    # exits 127: the error was `exit code 127`
    line = "pyruns: cannot start '/nonexistent/python': [Errno 2] No such file or directory: '/nonexistent/python'"
    summary = summarize_failure([line], exit_code=127, signal_number=None)
    assert summary.error == line.removeprefix("pyruns: ")


def test_a_traceback_a_launcher_prefixed_with_its_rank_is_found() -> None:
    # torchrun (torch >= 2.2) and vLLM print each line of a rank's stderr as `[rank0]: ...`: the
    # traceback was not recognised, and torchrun's own ChildFailedError was the cause of every run
    lines = ["[rank0]: Traceback (most recent call last):", '[rank0]:   File "train.py", line 84, in <module>',
             "[rank0]:     main()", "[rank1]: Traceback (most recent call last):",
             '[rank0]:   File "train.py", line 59, in main', "[rank0]:     model.to('cuda')",
             "[rank0]: torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 512.00 MiB.",
             "E1110 torch.distributed.elastic.multiprocessing.api: failed (exitcode: 1) local_rank: 0",
             "Traceback (most recent call last):", '  File "/usr/bin/torchrun", line 8, in <module>',
             "    sys.exit(main())", "torch.distributed.elastic.multiprocessing.errors.ChildFailedError: "]
    summary = summarize_failure(lines, exit_code=1, signal_number=None)
    assert summary.error == "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 512.00 MiB."
    assert summary.line == 1 and error_cause(summary.error) == "CUDA out of memory"
    assert find_tracebacks(lines)[0].text(lines)[0] == "Traceback (most recent call last):"
    near = traceback_near(lines.__getitem__, len(lines), 0)  # the Monitor's `t` finds it too
    assert near is not None and near.error == summary.error
