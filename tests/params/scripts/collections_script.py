"""Evaluate checkpoints: positionals, nargs, append, extend, count and append_const."""

import argparse


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("checkpoint", help="checkpoint to evaluate")
    parser.add_argument("split", nargs="?", default="val")
    parser.add_argument("extra_files", nargs="*")
    parser.add_argument("--metrics", nargs="+", default=["acc", "f1"])
    parser.add_argument("--crop", type=int, nargs=2, default=(224, 224))
    parser.add_argument("--scales", type=float, nargs="*", default=[])
    parser.add_argument("--resize", type=int, nargs="?", const=256, default=None)
    parser.add_argument("--include", action="append", help="glob to include")
    parser.add_argument("--exclude", action="append", default=["*.tmp"])
    parser.add_argument("--layers", action="extend", nargs="+", type=int)
    parser.add_argument("--pair", action="append", nargs=2)
    parser.add_argument("-v", "--verbose", action="count")
    parser.add_argument("-q", "--quiet", action="count", default=0)
    parser.add_argument("--with-str", dest="types", action="append_const", const="str")
    parser.add_argument("--with-int", dest="types", action="append_const", const="int")
    parser.add_argument("--level", type=int, choices=range(1, 4), default=2)
    args = parser.parse_args(argv)
    print(args)


if __name__ == "__main__":
    main()
