from pyruns_tui.cli import console

console()
