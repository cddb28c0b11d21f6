"""Extensions from higher layers, found through the ``avgdesk.plugins`` entry points.

``triage`` must not import ``web`` (dependencies point one way), yet ``avgdesk serve`` and
the demo's web UI belong to the same command line. A plugin module may define:

* ``register_cli(app: typer.Typer) -> None`` — add commands;
* ``demo_service(settings, engine) -> contextlib.AbstractAsyncContextManager[str | None]`` —
  run next to the demo worker; the context value is a line to show the user (a URL, a login).
"""

from __future__ import annotations

import logging
from importlib.metadata import entry_points
from types import ModuleType

log = logging.getLogger(__name__)

GROUP = "avgdesk.plugins"


def load_plugins() -> list[ModuleType]:
    modules: list[ModuleType] = []
    for ep in entry_points(group=GROUP):
        try:
            module = ep.load()
        except Exception:
            log.exception("plugin %s could not be loaded", ep.name)
            continue
        modules.append(module)
    return modules
