"""Logging set-up for the command line: human-readable or JSON lines, library chatter kept quiet.

Every `gridwatch` command logs through one handler on stderr. Libraries that log each request or
step at INFO (httpx's `HTTP Request: POST ...`, uvicorn's access lines, alembic's migration steps)
only show warnings and errors unless `-v/--verbose` is given; GridWatch's own loggers keep INFO
(the edge worker's one line per alert, a source going offline).
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from collections.abc import Iterator
from datetime import UTC, datetime

CHATTY_LIBRARIES = (
    "httpx",
    "httpcore",
    "uvicorn.access",
    "alembic",
    "urllib3",
    "asyncio",
    "multipart",
    "python_multipart",
    "filelock",
    "PIL",
)
"""Loggers that speak at INFO/DEBUG about routine work; WARNING and above only, unless verbose."""

HANDLER_NAME = "gridwatch-cli"


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class _CurrentStderr:
    """Whatever `sys.stderr` is when a record is written: a rich progress display redirects it, so
    log lines then print above the bars instead of through them."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def setup_logging(*, verbose: bool = False, json_lines: bool = False) -> None:
    """Send logs to stderr, once per process: INFO (DEBUG when verbose), chatty libraries quiet."""
    handler = logging.StreamHandler(_CurrentStderr())
    handler.set_name(HANDLER_NAME)
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(logging.NOTSET if verbose else logging.WARNING)


def is_verbose() -> bool:
    """True when the command line asked for `-v/--verbose` (the root logger is at DEBUG)."""
    return logging.getLogger().getEffectiveLevel() <= logging.DEBUG


@contextlib.contextmanager
def progress_only() -> Iterator[None]:
    """While a progress display tells the story, the CLI handler shows warnings and errors only
    (everything still shows with `-v`)."""
    handlers = [h for h in logging.getLogger().handlers if h.get_name() == HANDLER_NAME]
    if is_verbose():
        yield
        return
    before = [h.level for h in handlers]
    for handler in handlers:
        handler.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for handler, level in zip(handlers, before, strict=True):
            handler.setLevel(level)
