"""A real server stopped while it answers a request (uvicorn, as `plens serve` runs it), and
the things that keep a request running: an analysis that waits to be released, and a
PostgreSQL server that accepts connections and never answers."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import httpx
import uvicorn


class StuckAnalyzer:
    """An analysis that runs until it is released, as a long article's does."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.model_version = "stuck-1"

    def analyze_text(self, *args, **kwargs):
        self.entered.set()
        self.release.wait(20)
        raise RuntimeError("released")


class SilentDatabase:
    """A PostgreSQL address whose server takes connections and never answers them, as one
    that hangs does: opening the database waits until `release()` closes them."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._taken: list[socket.socket] = []
        self.url = f"postgresql://plens@127.0.0.1:{self._listener.getsockname()[1]}/corpus"
        threading.Thread(target=self._take, daemon=True).start()

    def _take(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:  # released
                return
            self._taken.append(connection)
            self.entered.set()

    def release(self) -> None:
        self._listener.close()
        for connection in self._taken:
            connection.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answer_when_stopped(app: Any, entered: threading.Event, release: Any, method: str,
                        path: str, **request: Any) -> httpx.Response | None:
    """Send the request to a real server running `app`, stop the server once the request's
    work has begun (`entered`), and return the answer (None if none came); `release()` then
    ends the work left running."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="critical", timeout_graceful_shutdown=0.3))
    serving = threading.Thread(target=server.run, daemon=True)
    serving.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    answers: list[httpx.Response] = []
    sending = threading.Thread(target=lambda: answers.append(httpx.request(
        method.upper(), f"http://127.0.0.1:{port}{path}", timeout=20, **request)))
    sending.start()
    try:
        assert entered.wait(20), "the request's work never began"
        server.should_exit = True
        sending.join(20)
    finally:
        release()
        serving.join(20)
    return answers[0] if answers else None
