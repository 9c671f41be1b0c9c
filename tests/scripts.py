"""Training-script texts more than one test folder runs (each test writes its own copy)."""

from pathlib import Path

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

# nanoGPT's configurator.py (its text verbatim, with its licence: a test fixture), next to a script
# that `exec`s it
CONFIGURATOR = (Path(__file__).parent / "params" / "projects" / "nanogpt_project" / "configurator.py").read_text()
