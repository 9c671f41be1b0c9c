"""A demo training script: argparse parameters, coloured logs, tqdm bars, a falling loss.

Nothing is trained: the loss curve is simulated (deterministic for a given --seed), each
step sleeps --step-time seconds to look like work. Metrics go through pyruns_tui when it
is installed (`pr.log`/`pr.summary` are no-ops outside a pyruns-tui task).

    python demo_scripts/train.py --epochs 3 --lr 0.01 --optimizer sgd
    pyr-tui demo_scripts/train.py
"""

from __future__ import annotations

import argparse
import logging
import math
import random
import sys
import time

try:
    import pyruns_tui as pr
except ImportError:  # the script also runs where pyruns-tui is not installed
    pr = None

try:
    from tqdm import tqdm
except ImportError:
    tqdm = None

DEFAULT_HIDDEN = 256
DATASETS = ("cifar10", "cifar100", "imagenet-tiny")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Train a (simulated) image classifier.")
    model = parser.add_argument_group("model")
    model.add_argument("--arch", default="resnet18", choices=["resnet18", "resnet34", "vit-s"],
                       help="network architecture")
    model.add_argument("--hidden", type=int, default=DEFAULT_HIDDEN,
                       help="width of the classifier head")
    model.add_argument("--dropout", type=float, default=0.1, help="dropout probability")

    optim = parser.add_argument_group("optim")
    optim.add_argument("--lr", type=float, default=1e-3, help="peak learning rate")
    optim.add_argument("--optimizer", default="adam", choices=["adam", "sgd"],
                       help="optimisation algorithm")
    optim.add_argument("--weight-decay", type=float, default=5e-4, help="L2 penalty")
    optim.add_argument("--amp", action="store_true", help="use mixed precision")

    data = parser.add_argument_group("data")
    data.add_argument("--dataset", default="cifar10", choices=DATASETS, help="dataset name")
    data.add_argument("--batch-size", type=int, default=128, help="samples per step")
    data.add_argument("--augment", action=argparse.BooleanOptionalAction, default=True,
                      help="random crops and flips")

    run = parser.add_argument_group("run")
    run.add_argument("--epochs", type=int, default=5, help="passes over the data")
    run.add_argument("--steps", type=int, default=40, help="training steps per epoch")
    run.add_argument("--step-time", type=float, default=0.03,
                     help="seconds each simulated step sleeps")
    run.add_argument("--seed", type=int, default=0, help="random seed")
    run.add_argument("--tags", nargs="*", default=[], help="free-form labels")
    return parser


class ColourFormatter(logging.Formatter):
    """`HH:MM:SS LEVEL message`, with a dim time and a coloured level on a terminal."""

    COLOURS = {"DEBUG": "36", "INFO": "32", "WARNING": "33", "ERROR": "31", "CRITICAL": "1;31"}

    def __init__(self, colour: bool) -> None:
        super().__init__(datefmt="%H:%M:%S")
        self.colour = colour

    def format(self, record: logging.LogRecord) -> str:
        stamp = self.formatTime(record, self.datefmt)
        level = f"{record.levelname:<7}"
        if self.colour:
            stamp = f"\x1b[2m{stamp}\x1b[0m"
            level = f"\x1b[{self.COLOURS.get(record.levelname, '0')}m{level}\x1b[0m"
        return f"{stamp} {level} {record.getMessage()}"


def setup_logging() -> logging.Logger:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(ColourFormatter(colour=sys.stdout.isatty()))
    logger = logging.getLogger("train")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger


class Progress:
    """A tqdm bar, or a plain `\\r` progress line when tqdm is not installed; a finished bar
    stays in the output (one line per epoch), as tqdm's default."""

    def __init__(self, total: int, desc: str) -> None:
        self.total, self.desc, self.done = total, desc, 0
        # 80 columns, not the terminal's width: the whole bar (count, rate, loss) fits the log pane
        # of a 120-column Monitor (the runner's pty is 160 columns wide)
        self.bar = tqdm(total=total, desc=desc, ncols=80, file=sys.stdout) if tqdm else None

    def update(self, loss: float) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
            self.bar.update(1)
            return
        width = 30
        filled = width * self.done // self.total
        sys.stdout.write(f"\r{self.desc} [{'#' * filled}{'.' * (width - filled)}] "
                         f"{self.done}/{self.total} loss={loss:.4f}")
        sys.stdout.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        else:
            sys.stdout.write("\n")
            sys.stdout.flush()


def simulated_loss(args: argparse.Namespace, rng: random.Random, progress: float) -> float:
    """A noisy exponential decay whose speed depends on the learning rate and optimiser: fastest
    at lr 5e-3, slower for every decade away from it (so a sweep of 1e-3 | 1e-2 tells them apart)."""
    decades = abs(math.log10(max(args.lr, 1e-12) / 5e-3))
    speed = 3.0 * max(0.1, 1.0 - 0.5 * decades) * (1.2 if args.optimizer == "adam" else 0.9)
    floor = 0.05 + 0.1 * args.dropout
    return floor + 2.3 * math.exp(-speed * progress) * (1.0 + 0.08 * rng.gauss(0.0, 1.0))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    log = setup_logging()
    rng = random.Random(args.seed)
    log.info("arch=%s hidden=%d dataset=%s batch_size=%d", args.arch, args.hidden,
             args.dataset, args.batch_size)
    log.info("optimizer=%s lr=%g weight_decay=%g amp=%s seed=%d", args.optimizer, args.lr,
             args.weight_decay, args.amp, args.seed)
    if args.amp:
        log.warning("mixed precision is simulated: no speed-up to expect")
    total_steps = max(1, args.epochs * args.steps)
    best_acc, best_epoch, step = 0.0, 0, 0
    for epoch in range(1, args.epochs + 1):
        bar = Progress(args.steps, desc=f"epoch {epoch}/{args.epochs}")
        epoch_loss = 0.0
        for _ in range(args.steps):
            step += 1
            loss = simulated_loss(args, rng, step / total_steps)
            epoch_loss += loss
            if pr is not None:
                pr.log({"loss": loss, "lr": args.lr}, step=step, stage="train")
            bar.update(loss)
            if args.step_time > 0:
                time.sleep(args.step_time)
        bar.close()
        train_loss = epoch_loss / max(1, args.steps)
        val_acc = min(0.99, 0.97 - 0.35 * train_loss + 0.01 * rng.random())
        if pr is not None:
            pr.log({"loss": train_loss * 1.05, "acc": val_acc}, step=step, stage="val")
        if val_acc > best_acc:
            best_acc, best_epoch = val_acc, epoch
        log.info("epoch %d/%d  train_loss=%.4f  val_acc=%.4f", epoch, args.epochs,
                 train_loss, val_acc)
    if pr is not None:
        pr.summary({"best_acc": best_acc, "best_epoch": best_epoch, "steps": step})
    log.info("done: best val_acc=%.4f at epoch %d", best_acc, best_epoch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
