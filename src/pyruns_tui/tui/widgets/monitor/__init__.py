"""Widgets of the Monitor screen: log view, task list, system panel, metric charts, export dialog."""
