"""The browser view (`pyr-tui serve`): the TUI app served to a browser through textual-serve."""
