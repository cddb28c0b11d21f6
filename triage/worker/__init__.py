"""The long-running worker: its loops, the poller lease, the scheduler."""
