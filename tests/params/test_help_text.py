"""Help texts as the form and config_default.yaml show them: what a help built by code lets be read
(`…` for the rest, never source text), and switch helps that say which flag they belong to."""

from __future__ import annotations

import textwrap

import pytest

from pyruns_tui.params.argparse_ast import ScriptParams, extract_params
from pyruns_tui.params.config_default import config_default_text, key_comment
from pyruns_tui.params.form_model import build_form
from tests.params.real_parser import SCRIPTS


def params_of(source: str) -> ScriptParams:
    return extract_params(textwrap.dedent(source), "train.py")


def form_help(sp: ScriptParams, key: str) -> str | None:
    """The help the Generator's form shows under `key`'s field."""
    form = build_form(sp.defaults(), [p.to_dict() for p in sp.params], script=sp)
    field = form.field(key)
    assert field is not None
    return field.help


def test_imagenet_arch_help_keeps_its_literal_parts() -> None:
    # pytorch/examples imagenet/main.py: the names come from torchvision, which is never imported
    sp = params_of("""
        import argparse
        import torchvision.models as models
        model_names = sorted(name for name in models.__dict__
            if name.islower() and not name.startswith("__")
            and callable(models.__dict__[name]))
        parser = argparse.ArgumentParser(description='PyTorch ImageNet Training')
        parser.add_argument('-a', '--arch', metavar='ARCH', default='resnet18',
                            choices=model_names,
                            help='model architecture: ' +
                                ' | '.join(model_names) +
                                ' (default: resnet18)')
        args = parser.parse_args()
    """)
    assert sp.specs_for("arch")[0].help == "model architecture: … (default: resnet18)"
    assert form_help(sp, "arch") == "model architecture: … (default: resnet18)"
    assert "arch: resnet18  # model architecture: … (default: resnet18)" in config_default_text(sp)
    assert sp.defaults() == {"arch": "resnet18"}


@pytest.mark.parametrize(("expression", "shown"), [
    ('f"one of {NAMES}, at most {N:03d}"', "one of …, at most 003"),
    ('f"{N!r} of {NAMES!r}"', "3 of …"),
    ('"%s layers of %d" % (NAMES, N)', "… layers of 3"),
    ('"%d%% of %s" % NAMES', "…% of …"),
    ('"%(names)s, %(n)d" % {"names": NAMES, "n": N}', "…, 3"),
    ('"{} (default {n})".format(NAMES, n=N)', "… (default 3)"),
    ('"[{}]".format(",".join(sorted(NAMES)))', "[…]"),  # detectron2's DensePose apply_net.py
    ('"{0} then {1}".format(*NAMES)', "… then …"),
    ('"{0} or {1.real}".format(N, N)', "3 or …"),
    ('"use " + NAMES + " or " + NAMES', "use … or …"),
    ('"x" + str(N) + NAMES', "x3…"),
])
def test_a_help_built_by_code_shows_what_can_be_read(expression: str, shown: str) -> None:
    sp = params_of(f"""
        import argparse, os
        N = 3
        NAMES = os.listdir(".")
        p = argparse.ArgumentParser()
        p.add_argument("--a", help={expression})
        p.parse_args()
    """)
    assert sp.specs_for("a")[0].help == shown


@pytest.mark.parametrize("expression", [
    "NAMES", '" | ".join(NAMES)', 'f"{NAMES}"', '" ".join(NAMES) + " " + " ".join(NAMES)',
    "HELPS['a']", '"%s" % NAMES', "p",
])
def test_a_help_with_nothing_readable_is_none_never_source_text(expression: str) -> None:
    sp = params_of(f"""
        import argparse, os
        NAMES = os.listdir(".")
        HELPS = load_helps()
        p = argparse.ArgumentParser()
        p.add_argument("--a", default=1, help={expression})
        p.add_argument("--b", default=2, help="before " + f"{{p}}")  # the reader's own objects are no text
        p.add_argument("--c", default=str(p), help="{{}} and {{}}".format(os, p) + " or " + "%s" % [p])
        p.parse_args()
    """)
    assert sp.specs_for("a")[0].help is None
    assert sp.specs_for("b")[0].help == "before …"
    c = sp.specs_for("c")[0]
    assert (c.help, c.default_resolved, c.default_source) == ("… and … or …", False, "str(p)")
    assert "# " not in config_default_text(sp).split("b:")[0]


def test_a_help_is_read_once_and_a_huge_part_is_a_placeholder() -> None:
    # the help's parts are evaluated once (a helper adding an argument adds it once), and a part
    # that would build a huge text is `…`, however the template is formatted
    sp = params_of("""
        import argparse, os
        BIG = "A" * 100_000
        TEN = "A" * 10

        def more(parser):
            parser.add_argument("--extra", default=1)
            return os.environ["HELP"]

        p = argparse.ArgumentParser()
        p.add_argument("--a", help="set: " + more(p) + " / " + ("{0}" * 30_000).format(BIG)
                       + " / " + "%s" * 30_000 % ((TEN,) * 30_000))
        p.parse_args()
    """)
    assert sp.specs_for("a")[0].help == "set: … / … / …"
    assert len(sp.specs_for("extra")) == 1
    assert not [w for w in sp.warnings if "declared twice" in w]


MAE = """
    import argparse
    parser = argparse.ArgumentParser('MAE fine-tuning for image classification', add_help=False)
    parser.add_argument('--finetune', default='', help='finetune from checkpoint')
    parser.add_argument('--global_pool', action='store_true')
    parser.set_defaults(global_pool=True)
    parser.add_argument('--cls_token', action='store_false', dest='global_pool',
                        help='Use class token instead of global pool for classification')
    parser.add_argument('--pin_mem', action='store_true',
                        help='Pin CPU memory in DataLoader for more efficient (sometimes) transfer to GPU.')
    parser.add_argument('--no_pin_mem', action='store_false', dest='pin_mem')
    parser.set_defaults(pin_mem=True)
    args = parser.parse_args()
"""


def test_mae_cls_token_help_names_its_flag_under_the_global_pool_switch() -> None:
    # mae main_finetune.py: the switch `global_pool: true` showed --cls_token's help, which reads
    # backwards there (turning the switch on means NOT using the class token)
    sp = params_of(MAE)
    shown = "--cls_token (sets it false): Use class token instead of global pool for classification"
    assert form_help(sp, "global_pool") == shown
    assert key_comment(sp, "global_pool") == shown
    assert f"global_pool: true  # {shown}" in config_default_text(sp)
    # a pair whose store_true flag has the help reads right as it is
    pin = "Pin CPU memory in DataLoader for more efficient (sometimes) transfer to GPU."
    assert form_help(sp, "pin_mem") == key_comment(sp, "pin_mem") == pin
    assert sp.defaults() == {"finetune": "", "global_pool": True, "pin_mem": True}


def test_every_switch_pair_and_lone_store_false_says_which_flag_its_help_is() -> None:
    sp = params_of("""
        import argparse
        p = argparse.ArgumentParser()
        p.add_argument("--amp", dest="amp", action="store_true", help="mixed precision on")
        p.add_argument("--no-amp", dest="amp", action="store_false", help="mixed precision off")
        p.add_argument("-S", "--no-shuffle", dest="shuffle", action="store_false", help="keep the order")
        p.add_argument("--no-cache", dest="cache", action="store_false", help="recompute")
        p.add_argument("--cache", dest="cache", action="store_true")
        p.add_argument("--tqdm", action=argparse.BooleanOptionalAction, default=True, help="progress bars")
        p.parse_args()
    """)
    amp = "mixed precision on; --no-amp (sets it false): mixed precision off"
    assert form_help(sp, "amp") == key_comment(sp, "amp") == amp
    assert [s.help for s in sp.specs_for("amp")] == [amp, "--no-amp (sets it false): mixed precision off"]
    assert form_help(sp, "shuffle") == "--no-shuffle (sets it false): keep the order"
    assert form_help(sp, "cache") == key_comment(sp, "cache") == "--no-cache (sets it false): recompute"
    assert form_help(sp, "tqdm") == "progress bars"  # one flag for both values: its help is the switch's
    assert sp.defaults() == {"amp": False, "shuffle": True, "cache": True, "tqdm": True}


HELP_KEYS = """
import argparse
import pathlib

def pair(text):
    return text

parser = argparse.ArgumentParser(prog="tool")
parser.add_argument("--a", choices=["x", "y"], default="x", help="choices %(choices)s, default %(default)s")
parser.add_argument("--b", type=pathlib.Path, metavar="DIR", help="type %(type)s, metavar %(metavar)s")
parser.add_argument("--c", type=pair, nargs=2, help="type %(type)s, nargs %(nargs)s, required %(required)s")
parser.add_argument("--d", action="store_true", help="nargs %(nargs)s, const %(const)s, default %(default)s")
parser.add_argument("--e", nargs="?", const=3, type=lambda s: s, help="const %(const)s, type %(type)s")
parser.add_argument("--f", help="choices %(choices)s, metavar %(metavar)s, dest %(dest)s, prog %(prog)s")
subs = parser.add_subparsers(dest="command")
fit = subs.add_parser("fit")
fit.add_argument("--g", help="prog %(prog)s")
"""


def real_helps(source: str, subcommand: str | None = None) -> dict[str, str]:
    """dest -> each argument's help as the REAL argparse expands it (its HelpFormatter)."""
    scope: dict[str, object] = {}
    exec(compile(source, "train.py", "exec"), scope)  # the parser only: the source never parses argv
    parser = scope["parser"]
    if subcommand is not None:
        parser = scope["subs"].choices[subcommand]  # type: ignore[attr-defined]
    formatter = parser._get_formatter()  # type: ignore[attr-defined]
    return {action.dest: formatter._expand_help(action) for action in parser._actions  # type: ignore[attr-defined]
            if action.help and action.dest != "help"}


@pytest.mark.parametrize("subcommand", [None, "fit"])
def test_every_help_key_argparse_fills_in_reads_as_the_real_help(subcommand: str | None) -> None:
    # metavar, prog=, a sub-parser's prog, the nargs/const of a switch and the name of a type= were
    # not read: `%(metavar)s` gave None where argparse gives DIR, `%(prog)s` gave the file's name
    sp = extract_params(HELP_KEYS, "train.py", subcommand=subcommand)
    real = real_helps(HELP_KEYS, subcommand)
    shown = {s.key: s.help for s in sp.params if s.help and (subcommand is None) == (s.subcommand is None)}
    assert shown == real


def test_a_help_key_only_the_running_script_knows_is_a_placeholder_never_none() -> None:
    # `%(choices)s` of choices built at run time printed `None`, which reads as "no choices"
    sp = params_of("""
        import argparse
        from models import NAMES, WIDTH, make_type, PROG
        p = argparse.ArgumentParser(prog=PROG)
        p.add_argument("--arch", choices=NAMES, default="r18", help="one of %(choices)s (default: %(default)s)")
        p.add_argument("--width", metavar=WIDTH, nargs=WIDTH, help="%(metavar)s, %(nargs)s values")
        p.add_argument("--mode", nargs="?", const=WIDTH, help="alone: %(const)s")
        p.add_argument("--kind", type=make_type(), required=WIDTH, help="a %(type)s, required: %(required)s")
        p.add_argument("--name", help="see %(prog)s --help; no choices: %(choices)s")
        p.add_argument("--bad", help="%(unknown_key)s stays as written")
        p.parse_args()
    """)
    helps = {s.key: s.help for s in sp.params}
    assert helps == {
        "arch": "one of … (default: r18)",
        "width": "…, … values",
        "mode": "alone: …",
        "kind": "a …, required: …",
        "name": "see … --help; no choices: None",  # argparse's own text when there are none
        "bad": "%(unknown_key)s stays as written",  # argparse's --help would fail on it
    }


def test_each_store_const_flag_of_a_key_says_which_value_it_stores_and_what_it_means() -> None:
    # groups_mutex's `--cosine`/`--constant` (dest schedule): the form showed only `cosine schedule`
    sp = params_of((SCRIPTS / "groups_mutex.py").read_text())
    legend = "cosine (--cosine): cosine schedule; constant (--constant): constant schedule"
    assert form_help(sp, "schedule") == key_comment(sp, "schedule") == legend
    assert f"schedule: linear  # {legend}" in config_default_text(sp)
    assert form_help(sp, "precision") is None  # no flag has a help: nothing to say beyond the choices
    sp = params_of("""
        import argparse
        p = argparse.ArgumentParser()
        p.add_argument("--sched", default="step", help="the lr schedule")
        p.add_argument("--cos", dest="sched", action="store_const", const="cosine", help="a shortcut")
        p.add_argument("--half", dest="dtype", action="store_const", const=16, help="16-bit floats")
        p.add_argument("--full", dest="dtype", action="store_const", const=32)
        p.add_argument("--fast", dest="speed", action="store_const", const=True, help="one flag alone")
        p.parse_args()
    """)
    assert form_help(sp, "sched") == "the lr schedule; cosine (--cos): a shortcut"
    assert form_help(sp, "dtype") == "16 (--half): 16-bit floats; 32 (--full)"
    assert form_help(sp, "speed") == "one flag alone"  # one flag for the key: its help is the key's
