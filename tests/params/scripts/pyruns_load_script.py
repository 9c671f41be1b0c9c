"""A script that reads its parameters with pyruns_tui.load() instead of argparse."""

import argparse

import pyruns_tui as pr

parser = argparse.ArgumentParser()
parser.add_argument("--config")

cfg = pr.load()
print(cfg.lr)
