"""Screen state without Textual: task index, columns, log buffers, prefs, history, action results."""
