"""Static argparse extraction, checked against what the REAL argparse of each script gives."""

from __future__ import annotations

import json
import textwrap
from typing import Any

import pytest

from pyruns_tui.errors import ParamsError
from pyruns_tui.params.argparse_ast import ParamSpec, ScriptParams, extract_params
from pyruns_tui.params.config_default import config_default_text, defaults_from_text
from tests.params.real_parser import SCRIPTS, real_namespaces, strict_equal


def params_of(source: str, **kwargs: Any) -> ScriptParams:
    return extract_params(textwrap.dedent(source), "train.py", **kwargs)


def spec(sp: ScriptParams, key: str) -> ParamSpec:
    return sp.specs_for(key)[0]


# script, sub-command, argv with the required values, keys given on that argv,
# keys whose default cannot be known statically, namespace keys that are not parameters
ACCEPTANCE = [
    ("train_basic.py", None, [], set(), set(), set()),
    ("groups_mutex.py", None, [], set(), set(), set()),
    ("set_defaults_script.py", None, [], set(), set(), set()),
    ("subcommands.py", None, ["train"], set(), {"func"}, {"command"}),
    ("subcommands.py", "eval", ["eval", "ck.pt"], {"checkpoint"}, {"func"}, {"command"}),
    ("subcommands.py", "ev", ["ev", "ck.pt"], {"checkpoint"}, {"func"}, {"command"}),
    ("parents_parser.py", None, [], set(), set(), set()),
    ("boolean_optional.py", None, [], set(), set(), set()),
    ("collections_script.py", None, ["ck.pt"], {"checkpoint"}, set(), set()),
    ("dynamic_args.py", None, [], set(), set(), set()),
    ("class_based.py", None, [], set(), set(), set()),
]


@pytest.mark.parametrize("script,sub,argv,given,unresolved,ignored", ACCEPTANCE,
                         ids=[f"{c[0]}:{c[1]}" for c in ACCEPTANCE])
def test_config_default_equals_real_argparse_defaults(
        script: str, sub: str | None, argv: list[str], given: set[str], unresolved: set[str],
        ignored: set[str]) -> None:
    sp = extract_params((SCRIPTS / script).read_text(), script, subcommand=sub)
    assert sp.kind == "argparse"
    loaded = defaults_from_text(config_default_text(sp))
    assert list(loaded) == sp.keys()
    (result,) = real_namespaces(script, [argv])
    assert "ok" in result, result
    truth = result["ok"]
    assert set(loaded) == set(truth) - ignored
    assert {k for k in sp.keys() if not spec(sp, k).default_resolved} == unresolved
    for key, value in loaded.items():
        if key in given or key in unresolved:
            continue
        assert strict_equal(value, truth[key]), (key, value, truth[key])


def test_every_test_script_round_trips_through_json() -> None:
    for path in sorted(SCRIPTS.glob("[a-z]*.py")):
        sp = extract_params(path.read_text(), path.name)
        again = ScriptParams.from_dict(json.loads(json.dumps(sp.to_dict())))
        assert again == sp, path.name


def test_train_basic_details() -> None:
    sp = extract_params((SCRIPTS / "train_basic.py").read_text(), "train_basic.py")
    batch = spec(sp, "batch_size")
    assert batch.flags == ("--batch-size", "-b")
    assert batch.type_name == "int" and batch.help == "images per step (default: 64)"
    assert spec(sp, "model").choices == ("resnet18", "resnet34", "vit_tiny")
    assert spec(sp, "model").help == "backbone, one of resnet18, resnet34, vit_tiny"
    assert spec(sp, "seed").help == "随机种子 (-1 = random) 🎲"
    assert spec(sp, "notes").help == "free text, 100% optional"
    assert spec(sp, "data_root").type_name == "Path"
    assert spec(sp, "evaluate").action == "store_false" and spec(sp, "evaluate").default is True
    cache = spec(sp, "cache_dir")  # an empty environment's value, marked as read from it
    assert cache.default == "/tmp/cache" and cache.default_resolved and cache.env_vars == ("CACHE_DIR",)
    assert cache.default_source == 'os.environ.get("CACHE_DIR", "/tmp/cache")'
    assert sp.warnings == ()


def test_groups_and_mutually_exclusive_groups_keep_titles() -> None:
    sp = extract_params((SCRIPTS / "groups_mutex.py").read_text(), "groups_mutex.py")
    assert spec(sp, "model_name").group == "Model"
    assert [s.group for s in sp.specs_for("schedule")] == ["Optimizer", "Optimizer"]
    assert spec(sp, "precision").group is None
    assert [s.const for s in sp.specs_for("schedule")] == ["cosine", "constant"]
    assert sp.defaults()["schedule"] == "linear"  # the first of two defaults wins


def test_subcommands_are_listed_and_default_to_the_first() -> None:
    source = (SCRIPTS / "subcommands.py").read_text()
    sp = extract_params(source, "subcommands.py")
    assert sp.subcommands == ("train", "eval") and sp.subcommand == "train"
    assert [s.key for s in sp.params if s.subcommand is None] == ["verbose"]
    assert extract_params(source, "subcommands.py", subcommand="ev").subcommand == "eval"
    with pytest.raises(ParamsError, match=r"no sub-command 'fit' \(the script has: train, eval\)"):
        extract_params(source, "subcommands.py", subcommand="fit")
    with pytest.raises(ParamsError, match="has no sub-commands"):
        params_of("import argparse\nargparse.ArgumentParser().parse_args()\n", subcommand="x")


def test_no_parser_warning_only_when_the_code_uses_argparse() -> None:
    # the word in a comment or a string said "argparse is used but no parser was found"
    for source in ('# TODO: switch to argparse later\nprint("no argparse here")\n',
                   'doc = "uses parse_args() one day"\n'):
        sp = extract_params(source, "plain.py")
        assert (sp.kind, sp.warnings) == ("plain", ()), source
    # each at a line (it had none): where a parser is built, else used, else imported
    for source, line in (("import argparse\nargs = make_args()\n", 1),
                         ("from argparse import ArgumentParser as AP\nargs = build(AP)\n", 1),
                         ("import os\nargs = helpers.get_parser().parse_args()\n", 2),
                         ("import argparse\nimport opts\n\nargs = opts.get_parser().parse_args()\n", 4),
                         ("import argparse\nargs = build(parse=lambda p: p.parse_args())\n"
                          "p = make(argparse.ArgumentParser)\n", 3)):
        sp = extract_params(source, "built.py")
        assert sp.warnings[-1] == (f"built.py:{line}: argparse is used but no parser was found: it is built in code "
                                   "this reader cannot follow (a module not found, or a call it cannot read)"), source


def test_dynamic_names_from_an_unknown_list_are_a_warning() -> None:
    sp = extract_params((SCRIPTS / "dynamic_args.py").read_text(), "dynamic_args.py")
    # the names come from the environment: read as an empty one (what the real parser gives
    # there), and said
    assert sp.warnings == ("dynamic_args.py:13: the environment variable EXTRA_ARGS is read while the parser "
                           "is built; taken as unset",)
    dynamic = params_of("""
        import argparse
        p = argparse.ArgumentParser()
        for x in some_call():
            p.add_argument(f"--{x}")
    """)
    assert any("has names that cannot be read statically" in w for w in dynamic.warnings)
    assert spec(sp, "box_weight").help == "weight of the box regression loss"


@pytest.mark.parametrize("flags,dest,key", [
    ('"--batch-size"', None, "batch_size"),
    ('"-b"', None, "b"),
    ('"-b", "--batch-size"', None, "batch_size"),
    ('"--batch-size"', '"bs"', "bs"),
    ('"--model.depth"', None, "model.depth"),
    ('"in_file"', None, "in_file"),
])
def test_keys_follow_argparse_dest_rules(flags: str, dest: str | None, key: str) -> None:
    extra = f", dest={dest}" if dest else ""
    sp = params_of(f"import argparse\np = argparse.ArgumentParser()\n"
                   f"p.add_argument({flags}{extra})\np.parse_args()\n")
    assert sp.keys() == [key]
    assert spec(sp, key).positional == (flags == '"in_file"')


def test_actions_get_argparse_class_defaults() -> None:
    sp = params_of("""
        import argparse
        p = argparse.ArgumentParser()
        p.add_argument("--a", action="store_true")
        p.add_argument("--b", action="store_false")
        p.add_argument("--c", action="count")
        p.add_argument("--d", action="append")
        p.add_argument("--e", action="store_const", const=3)
        p.add_argument("--f", action=argparse.BooleanOptionalAction)
        p.add_argument("--g", action="help")
        p.add_argument("--version", action="version", version="1")
        p.add_argument("pos", nargs="*")
        p.add_argument("opt", nargs="?")
    """)
    assert sp.defaults() == {"a": False, "b": True, "c": None, "d": None, "e": None,
                             "f": None, "pos": [], "opt": None}
    assert [s.action for s in sp.params] == ["store_true", "store_false", "count", "append",
                                             "store_const", "boolean_optional", "store",
                                             "store"]
    assert spec(sp, "e").const == 3
    assert [s.required for s in sp.params if s.positional] == [True, False]


def test_string_defaults_are_converted_by_builtin_types_only() -> None:
    sp = params_of("""
        import argparse, pathlib
        p = argparse.ArgumentParser()
        p.add_argument("--n", type=int, default="10")
        p.add_argument("--x", type=float, default="1e-3")
        p.add_argument("--flag", type=bool, default="False")
        p.add_argument("--path", type=pathlib.Path, default="data/")
        p.add_argument("--bad", type=int, default="ten")
    """)
    assert sp.defaults() == {"n": 10, "x": 0.001, "flag": True, "path": "data/", "bad": None}
    assert spec(sp, "path").type_name == "pathlib.Path"
    assert not spec(sp, "bad").default_resolved


def test_set_defaults_order_rules() -> None:
    sp = params_of("""
        import argparse
        p = argparse.ArgumentParser()
        p.set_defaults(a=1, b=2)
        p.add_argument("--a")
        p.add_argument("--b", default=3)
        g = p.add_argument_group("G")
        g.add_argument("--c", default=4)
        g.set_defaults(c=5, new="x")
    """)
    assert sp.defaults() == {"a": 1, "b": 3, "c": 5, "new": "x"}
    assert spec(sp, "new").action == "set_defaults" and not spec(sp, "new").settable


def test_duplicate_dest_first_default_wins() -> None:
    sp = params_of("""
        import argparse
        p = argparse.ArgumentParser()
        p.add_argument("--no-cache", dest="cache", action="store_false")
        p.add_argument("--cache", dest="cache", action="store_true")
    """)
    assert sp.defaults() == {"cache": True}
    assert len(sp.specs_for("cache")) == 2


def test_help_expansion_like_argparse() -> None:
    sp = params_of("""
        import argparse
        p = argparse.ArgumentParser()
        p.add_argument("--a", type=int, default=3, help="%(type)s a=%(default)s %%")
        p.add_argument("--b", choices=["x", "y"], default="x", help="%(choices)s [%(dest)s]")
        p.add_argument("--c", help="100% broken %(")
        p.add_argument("--d", help=argparse.SUPPRESS)
        p.add_argument("--e", default=os.getcwd(), help="(default: %(default)s)")
    """)
    helps = [s.help for s in sp.params]
    assert helps == ["int a=3 %", "x, y [b]", "100% broken %(", None,
                     "(default: os.getcwd())"]


PRELUDE = """
import argparse, math, os, time
from os.path import join
LIST = [3, 1, 2]
LIST_S = ["a", "b"]
DICT = {"k": "v"}
NAME = "run"
N = 4
LR = 0.1
FLAG = True
class Defaults:
    LR = 3e-4
"""
PARSER_WITH_DEFAULT = "p = argparse.ArgumentParser()\np.add_argument('--x', default={expr})\n"


@pytest.mark.parametrize("expr,expected", [
    ("1 + 2 * 3", 7), ("-LR", -0.1), ("2 ** 10", 1024), ("7 // 2", 3), ("7 % 3", 1),
    ("'a' + 'b'", "ab"), ("f'{NAME}-{N:03d}'", "run-004"), ("f'{LR!r}'", "0.1"),
    ("int(1e6)", 1000000), ("float('1e-3')", 0.001), ("len(LIST)", 3), ("min(3, N)", 3),
    ("max(LIST)", 3), ("round(2 / 3, 3)", 0.667), ("abs(-2)", 2), ("[N, N * 2]", [4, 8]),
    ("(1, 'x')", [1, "x"]), ("{'a': N}", {"a": 4}), ("LIST[1]", 1), ("DICT['k']", "v"),
    ("os.path.join('a', NAME)", "a/run"), ("join(NAME, 'x')", "run/x"),
    ("NAME.upper()", "RUN"), ("','.join(LIST_S)", "a,b"), ("'a,b'.split(',')", ["a", "b"]),
    ("N if FLAG else 0", 4), ("math.pi", 3.141592653589793), ("sum(range(5))", 10),
    ("[x * 2 for x in range(3)]", [0, 2, 4]), ("not FLAG", False), ("Defaults.LR", 3e-4),
    ("sorted(['b', 'a'])", ["a", "b"]), ("str(N)", "4"), ("'%s-%d' % (NAME, N)", "run-4"),
    ("'{}_{}'.format(NAME, N)", "run_4"), ("2 ** 80", 2 ** 80), ("DICT.get('z', 5)", 5),
    ("None", None), ("float('inf')", float("inf")), ("1_000", 1000), ("'é' * 3", "ééé"),
])
def test_default_expressions_are_resolved(expr: str, expected: Any) -> None:
    sp = params_of(PRELUDE + PARSER_WITH_DEFAULT.format(expr=expr))
    assert spec(sp, "x").default_resolved
    assert strict_equal(sp.defaults()["x"], expected)


@pytest.mark.parametrize("expr", [
    "os.environ['X']", "os.getcwd()", "time.time()", "some_func()", "obj.attr",
    "open('f').read()", "__file__", "lambda: 1", "UNDEFINED", "{1, 2}", "b'bytes'", "1j",
    "'a' * 10 ** 9", "10 ** 10 ** 10", "'x'.ljust(10 ** 9)", "sum(range(10 ** 12))",
    "list(range(10 ** 9))", "'%99999999d' % 1", "f'{1:99999999}'",
    "'a'.replace('', 'b' * 10 ** 6)", "[0] * 10 ** 9", "1 << 10 ** 9", "1 / 0",
    "int('9' * 5000)", "str(10 ** 5000)", "LIST[10]", "Defaults.MISSING", "...",
])
def test_unknowable_defaults_are_unresolved_never_source_text(expr: str) -> None:
    sp = params_of(PRELUDE + PARSER_WITH_DEFAULT.format(expr=expr))
    x = spec(sp, "x")
    assert (x.default, x.default_resolved, x.default_source) == (None, False, expr)


def test_constants_follow_the_flow_of_the_module() -> None:
    sp = params_of("""
        import argparse, os
        DEBUG = False
        A = 1
        A = A + 1
        if DEBUG:
            B = "debug"
        else:
            B = "release"
        if os.environ.get("X"):
            C = 1
        else:
            C = 2
        D, E = 5, 6
        F = 10
        F += 1
        def build(lr=0.1, *, wd=0.01):
            global G
            G = "set-in-function"
            local = lr * 10
            p = argparse.ArgumentParser()
            p.add_argument("--a", default=A)
            p.add_argument("--b", default=B)
            p.add_argument("--c", default=C)
            p.add_argument("--d", default=D + E)
            p.add_argument("--f", default=F)
            p.add_argument("--lr", default=lr)
            p.add_argument("--local", default=local)
            p.add_argument("--wd", default=wd)
            return p
        parser = build(lr=0.5)
        parser.add_argument("--g", default=G)
        A = 100  # after the parser was built: must not change --a
        parser.parse_args()
    """)
    assert sp.defaults() == {"a": 2, "b": "release", "c": 2, "d": 11, "f": 11, "lr": 0.5,
                             "local": 5.0, "wd": 0.01, "g": "set-in-function"}


def test_parsers_are_followed_through_functions_loops_and_chains() -> None:
    sp = params_of("""
        import argparse
        def add_common(p, prefix):
            p.add_argument(f"--{prefix}-seed", type=int, default=0)
        def make():
            parser = argparse.ArgumentParser()
            if True:
                return parser
            return None
        main = make()
        other = argparse.ArgumentParser()
        for p, name in ((main, "a"), (other, "b")):
            add_common(p, name)
        main.add_argument_group("Chained").add_argument("--chained", default=1)
        args = main.parse_args()
    """)
    assert sp.keys() == ["a_seed", "chained"]
    assert spec(sp, "chained").group == "Chained"


def test_the_parser_that_is_parsed_is_the_main_one() -> None:
    sp = params_of("""
        import argparse
        def unused():
            q = argparse.ArgumentParser()
            q.add_argument("--unused", default=1)
            for i in range(5):
                q.add_argument(f"--u{i}")
            return q
        first = argparse.ArgumentParser()
        first.add_argument("--first")
        second = argparse.ArgumentParser()
        second.add_argument("--second")
        second.parse_args()
    """)
    assert sp.keys() == ["second"]


def test_untraceable_parsers_and_helpers_are_warnings() -> None:
    sp = params_of("""
        import argparse
        import pytorch_lightning as pl
        parser = argparse.ArgumentParser()
        parser.add_argument("--lr", type=float, default=0.1)
        parser = pl.Trainer.add_argparse_args(parser)
        kwargs = load_options()
        parser.add_argument("--x", **kwargs)
        parser.add_argument(*get_flags())
        parser.set_defaults(**unknown())
    """)
    assert sp.keys() == ["lr", "x"]
    assert [w.split(": ", 1)[1] for w in sp.warnings] == [
        "a parser is passed to `pl.Trainer.add_argparse_args`, which cannot be read "
        "statically; arguments it adds are missing",
        "add_argument(**kwargs) cannot be read statically; its options are missing",
        "add_argument(*get_flags(), ...) has names that cannot be read statically; skipped",
        "set_defaults(**unknown()) cannot be read statically; ignored",
    ]


def test_functions_held_in_containers_are_followed() -> None:
    sp = params_of("""
        import argparse
        def add_args(parser):
            parser.add_argument("--depth", type=int, default=18)
        p = argparse.ArgumentParser()
        p.add_argument("--lr", default=0.1)
        registry = {"fn": add_args}
        registry["fn"](p)
        p.parse_args()
    """)
    assert sp.defaults() == {"lr": 0.1, "depth": 18} and sp.warnings == ()


def test_a_receiver_that_cannot_be_traced_is_merged_with_a_warning() -> None:
    sp = params_of("""
        import argparse
        def add_args(parser):
            parser.add_argument("--depth", type=int, default=18)
        p = argparse.ArgumentParser()
        p.add_argument("--lr", default=0.1)
        for hook in load_hooks():
            hook(p)
        p.parse_args()
    """)
    assert sp.defaults() == {"lr": 0.1, "depth": 18}
    assert sp.warnings[-1] == ("train.py:4: arguments added to `parser`, a parser this reader "
                               "could not trace, are assumed to belong to the main parser")


def test_nested_subcommands_are_a_warning() -> None:
    sp = params_of("""
        import argparse
        p = argparse.ArgumentParser()
        s = p.add_subparsers()
        a = s.add_parser("model")
        a.add_argument("--x", default=1)
        inner = a.add_subparsers()
        inner.add_parser("fit")
    """)
    assert sp.subcommand == "model" and sp.defaults() == {"x": 1}
    assert "nested sub-commands are not supported" in sp.warnings[0]


def test_argument_default_suppress_and_prefix_chars() -> None:
    sp = params_of("""
        import argparse
        p = argparse.ArgumentParser(argument_default=argparse.SUPPRESS, prefix_chars="-+")
        p.add_argument("--a", type=int)
        p.add_argument("++b", default=2)
    """)
    assert sp.defaults() == {"a": None, "b": 2}
    assert sp.prefix_chars == "-+" and spec(sp, "b").flags == ("++b",)


def test_recursion_and_huge_loops_terminate() -> None:
    sp = params_of("""
        import argparse
        def again(p):
            again(p)
        p = argparse.ArgumentParser()
        again(p)
        for i in range(10 ** 9):
            x = i
        while True:
            p.add_argument("--inside-while", default=1)
        p.add_argument("--x", default=2)
    """)
    assert sp.defaults() == {"inside_while": 1, "x": 2}


def test_exponential_call_trees_stop_with_a_warning_and_later_arguments_kept() -> None:
    defs = "\n".join(f"def f{i}(p):\n    f{i + 1}(p)\n    f{i + 1}(p)" for i in range(39))
    sp = extract_params(
        f"import argparse\n{defs}\ndef f39(p):\n    p.add_argument('--q', default=1)\n"
        "p = argparse.ArgumentParser()\nf0(p)\np.add_argument('--after', default=2)\n", "t.py")
    assert sp.defaults() == {"q": 1, "after": 2}
    assert any("too many function calls to follow" in w for w in sp.warnings)


def test_loops_that_cannot_add_arguments_are_not_unrolled() -> None:
    sp = params_of("""
        import argparse
        def train_step(i):
            return i * 2
        def main():
            p = argparse.ArgumentParser()
            p.add_argument("--epochs", type=int, default=3)
            args = p.parse_args()
            for epoch in range(1000):
                for step in range(1000):
                    train_step(step)
        if __name__ == "__main__":
            main()
    """)
    assert sp.defaults() == {"epochs": 3} and sp.warnings == ()


def test_small_script_functions_are_walked_for_the_value_they_return() -> None:
    sp = params_of("""
        import argparse, time
        def default_lr():
            return 0.1
        def defaults():
            d = dict(depth=18, width=64)
            d.update(extra())
            d.setdefault("depth", 50)
            return d
        def extra():
            return {"heads": 8}
        def stamp():
            return time.time()
        p = argparse.ArgumentParser()
        p.add_argument("--lr", default=default_lr())
        p.add_argument("--stamp", default=stamp())
        for k, v in defaults().items():
            p.add_argument(f"--{k}", default=v)
    """)
    assert sp.defaults() == {"lr": 0.1, "stamp": None, "depth": 18, "width": 64, "heads": 8}
    assert (spec(sp, "stamp").default_resolved, spec(sp, "stamp").default_source) == (False, "stamp()")


@pytest.mark.parametrize("source", [
    "import pyruns_tui as pr\ncfg = pr.load()\n",
    "import pyruns_tui\ncfg = pyruns_tui.load()\n",
    "from pyruns_tui import load as read\ncfg = read()\n",
    "from pyruns_tui.script.api import load\ncfg = load('c.yaml')\n",
    "def main():\n    import pyruns_tui as p\n    return p.load()\n",
])
def test_scripts_calling_pyruns_load_are_config_file_scripts(source: str) -> None:
    sp = params_of(source)
    assert (sp.kind, sp.params) == ("pyruns_load", ())


def test_pyruns_load_script_with_argparse_notes_it() -> None:
    sp = extract_params((SCRIPTS / "pyruns_load_script.py").read_text(), "s.py")
    # at the load() call's line (it had none: the only warning of a place without one)
    assert sp.kind == "pyruns_load" and sp.warnings == (
        "s.py:10: the script calls pyruns_tui.load(); its argparse arguments are not used for parameters",)


@pytest.mark.parametrize("source", [
    (SCRIPTS / "plain_script.py").read_text(),
    "import json\ndata = json.load(open('x'))\nimport pyruns_tui as pr\npr.log({'a': 1})\n",
    "",
])
def test_scripts_without_argparse_are_plain(source: str) -> None:
    sp = params_of(source)
    assert (sp.kind, sp.params, sp.warnings) == ("plain", (), ())


def test_syntax_error_is_one_line_with_file_and_line() -> None:
    with pytest.raises(ParamsError) as info:
        extract_params("import argparse\n\ndef f(:\n    pass\n", "train.py")
    message = str(info.value)
    assert message.startswith("train.py:3: syntax error: ") and "\n" not in message


def test_null_bytes_are_a_params_error() -> None:
    with pytest.raises(ParamsError, match="^train.py: cannot parse the script: .*null bytes"):
        extract_params("x = 1\x00\n", "train.py")


def test_spec_json_round_trip_keeps_every_field() -> None:
    original = ParamSpec(key="k", flags=("-k", "--key"), default=[1, {"a": None}],
                         default_resolved=True, default_source="[1, {'a': None}]",
                         type_name="int", choices=(1, 2), action="append", const=[3],
                         nargs="+", required=True, help="h", group="G", positional=False,
                         subcommand="train")
    assert ParamSpec.from_dict(json.loads(json.dumps(original.to_dict()))) == original


def test_star_imports_and_parser_subclasses_are_parsers() -> None:
    sp = params_of("""
        from argparse import *
        class QuietParser(ArgumentParser):
            def error(self, message):
                raise SystemExit(message)
        p = QuietParser()
        p.add_argument("--n", nargs=ONE_OR_MORE, default=[1])
        p.add_argument("--flag", action=BooleanOptionalAction, default=SUPPRESS)
        p.parse_args()
    """)
    assert sp.defaults() == {"n": [1], "flag": None}
    assert (spec(sp, "n").nargs, spec(sp, "flag").action) == ("+", "boolean_optional")


def test_type_names_from_kwargs_dicts() -> None:
    sp = params_of("""
        import argparse
        from pathlib import Path
        def parse_pair(text):
            return text.split(",")
        class Mode:
            pass
        OPTS = {"a": {"type": Path, "default": "x"}, "b": {"type": parse_pair},
                "c": {"type": int, "default": "3"}, "d": {"type": Mode}, "e": {}}
        p = argparse.ArgumentParser()
        for key, kw in OPTS.items():
            p.add_argument("--" + key, **kw)
    """)
    assert [(s.key, s.type_name) for s in sp.params] == [
        ("a", "Path"), ("b", "parse_pair"), ("c", "int"), ("d", "Mode"), ("e", None)]
    assert sp.defaults() == {"a": "x", "b": None, "c": 3, "d": None, "e": None}


def test_an_enum_type_with_its_members_as_choices_offers_their_values() -> None:
    # dinov2's eval/linear.py: `type=MetricType, choices=list(MetricType)`, argparse's Enum idiom
    # (the command line names a member by its value, `type=` makes it the member) was "choices
    # cannot be read statically; ignored": any text went to a run that stopped on it
    sp = params_of("""
        import argparse
        from enum import Enum
        class MetricType(Enum):
            MEAN_ACCURACY = "mean_accuracy"
            PER_CLASS_ACCURACY = "per_class_accuracy"
            def __str__(self):
                return self.value
        class Level(Enum):
            LOW = 1
        p = argparse.ArgumentParser()
        p.add_argument("--val-metric-type", type=MetricType, choices=list(MetricType))
        p.add_argument("--test-metric-types", type=MetricType, choices=tuple(MetricType), nargs="+")
        p.add_argument("--metric", type=MetricType, choices=MetricType, default=MetricType.MEAN_ACCURACY)
        p.add_argument("--level", type=Level, choices=list(Level))
        p.set_defaults(val_metric_type=MetricType.PER_CLASS_ACCURACY)
        p.parse_args()
    """)
    values = ("mean_accuracy", "per_class_accuracy")
    assert [(s.key, s.choices) for s in sp.params] == [
        ("val_metric_type", values), ("test_metric_types", values), ("metric", values), ("level", None)]
    assert sp.defaults() == {"val_metric_type": "per_class_accuracy", "test_metric_types": None,
                             "metric": "mean_accuracy", "level": None}
    assert sp.warnings == ("train.py:15: choices of 'level' cannot be read statically; ignored",)  # E("1") finds no member


def test_objects_the_reader_cannot_store_never_reach_json() -> None:
    sp = params_of("""
        import argparse, enum
        class Mode(enum.Enum):
            A = 1
        def handler():
            pass
        p = argparse.ArgumentParser()
        p.add_argument("--run", action="store_const", const=handler, default=argparse)
        p.add_argument("--mode", choices=list(Mode), nargs=handler)
        p.add_argument("--fn", choices=[handler], const={1, 2}, nargs="?")
    """)
    assert [(s.const, s.choices, s.nargs) for s in sp.params] == [
        (None, None, None), (None, None, None), (None, None, "?")]
    assert len(sp.warnings) == 6 and sp.warnings[-1] == "train.py:8: could not resolve the default of --run: argparse"
    assert json.loads(json.dumps(sp.to_dict()))["params"][0]["default"] is None
