"""Diffusion sampler with --x / --no-x switches (BooleanOptionalAction)."""

from argparse import ArgumentParser, BooleanOptionalAction
import argparse as ap

USE_EMA = True

parser = ArgumentParser()
parser.add_argument("--ema", action=BooleanOptionalAction, default=USE_EMA,
                    help="sample with EMA weights")
parser.add_argument("--compile", action=BooleanOptionalAction, default=False)
parser.add_argument("--tiling", action=ap.BooleanOptionalAction)
parser.add_argument("--steps", type=int, default=50)
parser.add_argument("--guidance", type=float, default=7.5)
parser.add_argument("--prompt", default="a photo of an astronaut riding a horse")

if __name__ == "__main__":
    args = parser.parse_args()
    print(args)
