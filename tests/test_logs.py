"""Logging of every `gridwatch` command: library request logs only with -v, our own INFO always."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from gridwatch.logs import CHATTY_LIBRARIES, progress_only, setup_logging


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads stderr."""


@pytest.fixture
def server() -> Iterator[str]:
    """A plain HTTP server on 127.0.0.1 answering 200 to every GET."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in CHATTY_LIBRARIES}
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, saved in levels.items():
            logging.getLogger(name).setLevel(saved)


def test_request_logs_are_off_by_default(server: str, capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging()
    httpx.get(f"{server}/healthz", timeout=5)
    logging.getLogger("edge.pipeline").info("camera cam-1: intrusion alert a-1")
    logging.getLogger("httpx").warning("a warning still shows")
    err = capsys.readouterr().err
    assert "HTTP Request" not in err
    assert "INFO edge.pipeline: camera cam-1: intrusion alert a-1" in err
    assert "WARNING httpx: a warning still shows" in err


def test_verbose_turns_request_logs_on(server: str, capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging(verbose=True)
    httpx.get(f"{server}/healthz", timeout=5)
    assert f"HTTP Request: GET {server}/healthz" in capsys.readouterr().err


def test_progress_only_keeps_warnings_and_restores(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging()
    log = logging.getLogger("edge.pipeline")
    with progress_only():
        log.info("hidden behind the progress bars")
        log.warning("camera cam-1 stopped")
    log.info("after the bars")
    err = capsys.readouterr().err
    assert "hidden behind the progress bars" not in err
    assert "camera cam-1 stopped" in err
    assert "after the bars" in err


def test_progress_only_hides_nothing_when_verbose(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging(verbose=True)
    with progress_only():
        logging.getLogger("edge.pipeline").info("shown with -v")
    assert "shown with -v" in capsys.readouterr().err
