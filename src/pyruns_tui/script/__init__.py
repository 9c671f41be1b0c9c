"""The script-side API (`import pyruns_tui as pr`): config loading and metric writing, import-light."""
