"""The web UI's server in a background thread (demo, integration tests)."""

from __future__ import annotations

import socket
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from avgdesk.models.errors import ConfigurationError
from avgdesk.triage.settings import Settings
from avgdesk.web.plugin import background_server


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port another process listens on (as a second demo would)."""
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        other.bind(("127.0.0.1", 0))
        other.listen(1)
        yield int(other.getsockname()[1])


def test_a_taken_preferred_port_gives_another_port_that_answers(
    web_settings: Settings, web_engine: Any, taken_port: int
) -> None:
    # Before: the demo checked 8000 was free, then uvicorn bound it later; a second demo
    # starting at the same moment failed with "the web UI did not start on port 8000".
    with background_server(web_settings, web_engine, port=taken_port, any_port_if_taken=True) as url:
        assert not url.endswith(f":{taken_port}")
        with urllib.request.urlopen(f"{url}/contact", timeout=30) as response:
            assert response.status == 200


def test_a_taken_exact_port_is_a_clear_configuration_error(
    web_settings: Settings, web_engine: Any, taken_port: int
) -> None:
    with (
        pytest.raises(ConfigurationError, match=f"cannot listen on port {taken_port}"),
        background_server(web_settings, web_engine, port=taken_port),
    ):
        pass
