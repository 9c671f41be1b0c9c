"""Detector training: parent parsers built by helper functions, parser passed around."""

import argparse

DEFAULT_ANCHORS = [8, 16, 32]


def data_parent():
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("Data")
    g.add_argument("--train-list", default="lists/train.txt")
    g.add_argument("--img-size", type=int, default=640)
    p.set_defaults(num_workers=4)
    return p


def add_model_args(parser, prefix="model"):
    group = parser.add_argument_group(prefix.title())
    group.add_argument(f"--{prefix}-depth", type=float, default=0.33)
    group.add_argument(f"--{prefix}-width", type=float, default=0.5)
    if prefix == "model":
        group.add_argument("--anchors", type=int, nargs="+", default=DEFAULT_ANCHORS)
    return group


def build_parser():
    parser = argparse.ArgumentParser(parents=[data_parent()])
    add_model_args(parser)
    add_model_args(parser, prefix="head")
    parser.add_argument("--batch", type=int, default=16)
    return parser


if __name__ == "__main__":
    parser = build_parser()
    args = parser.parse_args()
    print(args)
