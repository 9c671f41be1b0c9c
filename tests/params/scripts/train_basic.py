"""Train a small image classifier (a realistic argparse script for extraction tests)."""

import argparse
import os
from pathlib import Path

DATA_ROOT = "/data/cifar10"
BATCH = 32
BASE_LR = 0.1
EPOCHS = 90
WARMUP = EPOCHS // 10
MODELS = ("resnet18", "resnet34", "vit_tiny")
RUN_PREFIX = "cifar"
BASE_LR = BASE_LR / 2  # reassigned before use: the extractor must see 0.05


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-root", default=os.path.join(DATA_ROOT, "train"), type=Path,
                        help="dataset folder")
    parser.add_argument("--batch-size", "-b", type=int, default=BATCH * 2,
                        help="images per step (default: %(default)s)")
    parser.add_argument("--lr", type=float, default=BASE_LR, help="peak learning rate")
    parser.add_argument("--weight-decay", type=float, default=5e-4)
    parser.add_argument("--epochs", type=int, default="%d" % EPOCHS)
    parser.add_argument("--warmup-epochs", type=int, default=WARMUP)
    parser.add_argument("--steps", type=int, default=int(1e6))
    parser.add_argument("--model", choices=MODELS, default=MODELS[0],
                        help="backbone, one of %(choices)s")
    parser.add_argument("--run-name", default=f"{RUN_PREFIX}-{BATCH * 2}")
    parser.add_argument("--seed", type=int, default=-1, help="随机种子 (-1 = random) 🎲")
    parser.add_argument("--label-smoothing", type=float, default=round(1 / 3, 2))
    parser.add_argument("--cache-dir", default=os.environ.get("CACHE_DIR", "/tmp/cache"))
    parser.add_argument("--resume", action="store_true", help="resume from the last checkpoint")
    parser.add_argument("--no-eval", dest="evaluate", action="store_false")
    parser.add_argument("--notes", default="", help="free text, 100%% optional")
    parser.add_argument("--tag", default=None)
    return parser


def main():
    args = build_parser().parse_args()
    for epoch in range(args.epochs):
        print(f"epoch {epoch} lr={args.lr}")


if __name__ == "__main__":
    main()
