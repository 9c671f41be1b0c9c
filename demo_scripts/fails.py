"""A demo script that trains for a while and then crashes (exit status 1, a traceback).

Used to see how failed tasks look: the log keeps the traceback, the metrics logged before
the crash are kept, the task ends `failed`.

    python demo_scripts/fails.py --fail-at 20
"""

from __future__ import annotations

import argparse
import random
import sys
import time

try:
    import pyruns_tui as pr
except ImportError:
    pr = None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Train a little, then raise an exception.")
    parser.add_argument("--steps", type=int, default=50, help="steps planned")
    parser.add_argument("--fail-at", type=int, default=25, help="step that raises")
    parser.add_argument("--step-time", type=float, default=0.05, help="seconds per step")
    parser.add_argument("--lr", type=float, default=0.01, help="learning rate")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    rng = random.Random(args.seed)
    loss = 2.0
    for step in range(1, args.steps + 1):
        if step == args.fail_at:
            raise RuntimeError(f"simulated failure at step {step}: loss diverged (lr={args.lr})")
        loss *= 0.95 + 0.02 * rng.random()
        if pr is not None:
            pr.log({"loss": loss}, step=step, stage="train")
        print(f"step {step}/{args.steps} loss={loss:.4f}", flush=True)
        if args.step_time > 0:
            time.sleep(args.step_time)
    return 0


if __name__ == "__main__":
    sys.exit(main())
