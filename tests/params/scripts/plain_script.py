"""A script with no command-line parameters at all."""

import sys

LR = 0.1

if __name__ == "__main__":
    print("training with", LR, sys.argv[1:])
