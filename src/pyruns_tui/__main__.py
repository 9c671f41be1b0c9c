from pyruns_tui.program import console

console()
