"""Training-script texts more than one test folder runs (each test writes its own copy)."""

# timm's train.py: `--model-kwargs` (nargs='*', a custom action) defaults to {}, a mapping
MAPPING_DEFAULT_SCRIPT = (
    "import argparse\n"
    "class ParseKwargs(argparse.Action):\n"
    "    def __call__(self, parser, namespace, values, option_string=None):\n"
    "        setattr(namespace, self.dest, dict(v.split('=', 1) for v in values))\n"
    "p = argparse.ArgumentParser()\n"
    "p.add_argument('--model-kwargs', nargs='*', default={}, action=ParseKwargs)\n"
    "p.add_argument('--lr', type=float, default=0.1)\n"
    "print(vars(p.parse_args()))\n")

# nanoGPT's configurator.py, its `--key=value` loop (the full file with its licence is in
# tests/params/projects/nanogpt_project): next to a script that `exec`s it
CONFIGURATOR = """\
import sys
from ast import literal_eval
for arg in sys.argv[1:]:
    key, val = arg.split('=')
    key = key[2:]
    if key in globals():
        try:
            attempt = literal_eval(val)
        except (SyntaxError, ValueError):
            attempt = val
        assert type(attempt) == type(globals()[key])
        globals()[key] = attempt
"""
