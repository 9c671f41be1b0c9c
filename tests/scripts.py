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


def many_options_script(count: int = 150) -> str:
    """An argparse script with `count` options in groups of 30, as big as transformers'
    TrainingArguments: `learning_rate` far down (option 120), `clear_cache` holding `lear`, and a
    `warmup_ratio` whose help speaks of the learning rate."""
    lines = ["import argparse", "p = argparse.ArgumentParser()"]
    special = {
        5: "p.add_argument('--clear_cache', action='store_true', help='empty the cache between epochs')",
        90: "p.add_argument('--warmup_ratio', type=float, default=0.0, help='linear warmup of the learning rate')",
        120: "p.add_argument('--learning_rate', type=float, default=5e-05, help='the initial step size for AdamW')",
    }
    for index in range(count):
        if index % 30 == 0:
            lines.append(f"g = p.add_argument_group('group_{index // 30}')")
        lines.append(special.get(index, f"g.add_argument('--option_{index:03d}', type=int, default={index}, "
                                        f"help='option number {index}')").replace("p.add_argument", "g.add_argument"))
    lines.append("print(vars(p.parse_args()))")
    return "\n".join(lines) + "\n"
