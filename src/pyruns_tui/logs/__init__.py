"""Logs: raw terminal bytes of task runs turned into screen lines, and huge log files read in
pieces. Pure code: no UI, no asyncio.

Nothing is imported here: a command that needs only `output_metrics` (the settings do) must not
pay for the terminal model and rich (~40 % of `pyr-tui run`'s start-up).
"""
