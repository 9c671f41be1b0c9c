import argparse

import model_zoo

parser = argparse.ArgumentParser()
model_zoo.add_args(parser)
parser.parse_args()
