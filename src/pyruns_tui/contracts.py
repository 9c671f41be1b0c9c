"""Names shared by the script side, the runner and the engine: one home for each (stdlib only, no imports).

A script inside a task reads these through `pyruns_tui.script`; the runner sets them; the engine
reads the files they name. Changing one here changes it everywhere.
"""

CONFIG_ENV = "__PYRUNS_CONFIG__"
TASK_DIR_ENV = "PYRUNS_TASK_DIR"
FAKE_GPUS_ENV = "PYRUNS_TUI_FAKE_GPUS"
FAKE_GPUS_BUSY_ENV = "PYRUNS_TUI_FAKE_GPUS_BUSY"
EXEC_SUPERVISOR_ENV = "PYRUNS_TUI_EXEC_SUPERVISOR"
# variables of the process that started the runner that must not leak into tasks
DROPPED_ENV = (CONFIG_ENV, TASK_DIR_ENV)
PTY_COLUMNS, PTY_ROWS = 160, 50  # the terminal every run gets; log readers replay its output at this size
# what the runner sets in every run's environment besides the two above (launch.task_env): the
# terminal, and on a GPU machine the devices
TERMINAL_ENV = {"TERM": "xterm-256color", "COLUMNS": str(PTY_COLUMNS), "LINES": str(PTY_ROWS), "PYTHONUNBUFFERED": "1"}
GPU_ENV = ("CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER")

PYRUNS_DIR = "_pyruns_"
CONFIG_DEFAULT = "config_default.yaml"
METRICS_FILE = "metrics.jsonl"
SUMMARY_FILE = "summary.json"

MAX_JSON_DEPTH = 100  # deeper JSON in a workspace file is refused: readers and renderers recurse
SCALAR_TYPES = frozenset({str, int, float, bool, type(None)})  # the exact types of a JSON/YAML value that nests nothing
RESERVED_KEYS = frozenset(("t", "step", "stage", "source"))  # row fields of metrics.jsonl that are not metrics
OUTPUT_SOURCE = "output"  # `source` of the rows the runner appends with metrics read from the task's output
NONFINITE_TO_JSON = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}
JSON_TO_NONFINITE = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}
