"""The runner's own process (the daemon side): what runs inside `python -m pyruns_tui.runner.daemon.service`
and the supervisors it starts. The faces and the client side (`runner.client`, `runner.control`)
never import it: they write requests to the workspace and poke the runner through the wake-up FIFO.
"""
