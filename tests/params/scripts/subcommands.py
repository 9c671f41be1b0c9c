"""A tool with train / eval / export sub-commands sharing common options."""

import argparse


def train(args):
    print("training", args)


def evaluate(args):
    print("evaluating", args)


def get_parser():
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    common.add_argument("--seed", type=int, default=0)

    parser = argparse.ArgumentParser(prog="tool")
    parser.add_argument("--verbose", "-v", action="count", default=0)
    parser.add_argument("--out", default="runs")
    subs = parser.add_subparsers(dest="command", required=True)

    t = subs.add_parser("train", parents=[common], help="train a model")
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--epochs", type=int, default=10)
    t.add_argument("--out", default="runs/train")  # overrides the parent's --out default
    t.set_defaults(func=train)

    e = subs.add_parser("eval", aliases=["ev"], parents=[common])
    e.add_argument("checkpoint")
    e.add_argument("--split", default="test", choices=("val", "test"))
    e.set_defaults(func=evaluate, seed=123)
    return parser


if __name__ == "__main__":
    args = get_parser().parse_args()
    args.func(args)
