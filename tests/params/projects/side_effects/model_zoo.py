import argparse

open(__file__ + ".imported", "w").write("imported")  # must never happen during extraction


def add_args(parser):
    parser.add_argument("--arch", default="resnet50")
