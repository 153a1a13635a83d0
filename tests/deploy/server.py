"""A real uvicorn server in a thread, on a free loopback port, for the tests to drive with
httpx."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import uvicorn

from fmpc.deploy.program import Program
from fmpc.deploy.server import create_app


class RunningServer:
    """``create_app(loader)`` served on 127.0.0.1 at a port the OS picked."""

    def __init__(self, loader: Callable[[], Program]) -> None:
        self.app = create_app(loader)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        config = uvicorn.Config(self.app, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def __enter__(self) -> RunningServer:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.02)
        return self

    def client(self) -> httpx.Client:
        """An httpx client of the server."""
        return httpx.Client(base_url=self.url, timeout=60)

    def wait_ready(self, timeout: float = 120) -> None:
        """Wait for ``/readyz`` to answer 200."""
        deadline = time.monotonic() + timeout
        with self.client() as client:
            while client.get("/readyz").status_code != 200:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"not ready: {client.get('/readyz').json()}")
                time.sleep(0.05)

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self._thread.join(60)
        self._socket.close()

    @property
    def program(self) -> Program | None:
        """The program the server loaded (for checks the HTTP surface does not show)."""
        return self.app.state.served.program
