"""Widgets of the Manager screen: the task table, its index, search, detail pane and dialogs."""
