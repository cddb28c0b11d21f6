"""A pre-loaded parent that forks ``avgdesk run`` workers on request, for the soaks.

On a busy machine a fresh ``avgdesk run`` spends seconds importing before it does any work;
forking from a parent that already imported everything makes each restart immediate, so
the soaks can kill workers 20+ times within their time bound. The children are ordinary
worker processes (same code path as the CLI) and are killed with a real SIGKILL.

Protocol: one JSON object (the environment) per stdin line; answers the child's pid.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys

import avgdesk.triage.cli.root as root

# Pre-loaded on purpose: what `avgdesk run` imports before it does any work.
for _name in ("avgdesk.triage.runtime", "avgdesk.triage.worker.runner", "avgdesk.models.migrate"):
    importlib.import_module(_name)


def main() -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped automatically
    for line in sys.stdin:
        env = json.loads(line)
        pid = os.fork()
        if pid == 0:
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            os.environ.clear()
            os.environ.update(env)
            sys.argv = ["avgdesk", "run"]
            code = 0
            try:
                root.main()
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            except BaseException:
                code = 1
            os._exit(code)
        sys.stdout.write(f"{pid}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
