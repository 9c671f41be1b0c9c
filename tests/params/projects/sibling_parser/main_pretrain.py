"""MAE/DeiT's pattern: the parser comes from a sibling module, as a parent."""
import argparse

import utils
from utils import get_args_parser


def main(args):
    print(args)


if __name__ == "__main__":
    args = argparse.ArgumentParser("MAE", parents=[get_args_parser()])
    args.add_argument("--output_dir", default=f"./out_{utils.DEFAULT_EPOCHS}")
    args = args.parse_args()
    main(args)
