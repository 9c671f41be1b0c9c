import argparse
import os
import sys

__all__ = ["default_argument_parser", "default_setup"]


def default_argument_parser(epilog=None):
    """detectron2's pattern: a package function builds the parser every tool script uses."""
    parser = argparse.ArgumentParser(
        epilog=epilog or f"Examples: {sys.argv[0]} --num-gpus 8",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config-file", default="", metavar="FILE", help="path to config file")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--eval-only", action="store_true", help="perform evaluation only")
    parser.add_argument("--num-gpus", type=int, default=1, help="number of gpus *per machine*")
    parser.add_argument("--num-machines", type=int, default=1)
    port = 2**15 + 2**14 + hash(os.getuid() if sys.platform != "win32" else 1) % 2**14
    parser.add_argument("--dist-url", default="tcp://127.0.0.1:{}".format(port))
    parser.add_argument("opts", default=None, nargs=argparse.REMAINDER)
    return parser


def default_setup(cfg, args):
    pass
