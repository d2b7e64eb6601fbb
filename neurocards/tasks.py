def ping():
    """A no-op task: proves a worker is taking tasks from the broker."""
    return "pong"
