"""Messages that did not become readings: counted, kept on disk with the reason, never fatal."""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

logger = logging.getLogger(__name__)

KEPT_BYTES = 1024
"""How much of a dead payload is kept (the size is always recorded)."""


@dataclass(frozen=True)
class DeadLetter:
    """One refused message: where it came from, why, and its first bytes."""

    topic: str
    reason: str
    size: int
    head: bytes
    received_at: datetime

    def to_json(self) -> str:
        """One JSON object; the payload head is base64 (it may be binary)."""
        return json.dumps(
            {
                "received_at": self.received_at.isoformat(),
                "topic": self.topic[:256],
                "reason": self.reason,
                "size": self.size,
                "payload_head_b64": base64.b64encode(self.head).decode("ascii"),
            },
            ensure_ascii=False,
        )


class DeadLetterStore:
    """Append-only JSON Lines file of dead letters, plus counts per reason type.

    When the file passes ``max_bytes`` it becomes ``<name>.1`` (replacing an older one) and a new
    file starts, so a flood of garbage cannot fill the disk.

    Example:
        >>> store = DeadLetterStore(data_dir / "deadletters.jsonl")
        >>> store.add(DeadLetter("gridwatch/sensors/x/gas", "unknown sensor 'x'", 3, b"{}", now))
        >>> store.count
        1
    """

    def __init__(self, path: Path, *, max_bytes: int = 50 * 1024 * 1024) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.max_bytes = max_bytes
        self.count = 0
        self.by_reason: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._file = path.open("a", encoding="utf-8")

    def add(self, letter: DeadLetter) -> None:
        """Append one dead letter and flush it to the operating system."""
        with self._lock:
            self._file.write(letter.to_json() + "\n")
            self._file.flush()
            if self._file.tell() > self.max_bytes:
                self._rotate()
            self.count += 1
            key = letter.reason.split(":", 1)[0][:40]
            self.by_reason[key if key in self.by_reason or len(self.by_reason) < 50 else "other"] += 1
        if self.count <= 10 or self.count % 1000 == 0:
            logger.warning("dead letter #%d on %s: %s", self.count, letter.topic[:120], letter.reason)

    def _rotate(self) -> None:
        self._file.close()
        self.path.replace(self.path.with_name(self.path.name + ".1"))
        self._file = self.path.open("a", encoding="utf-8")
        logger.warning(
            "dead letters: %s passed %d bytes; the previous file is now .1", self.path, self.max_bytes
        )

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._file.close()


def dead_letter(topic: str, payload: bytes, reason: str, received_at: datetime) -> DeadLetter:
    """Build a dead letter keeping the first KEPT_BYTES of the payload."""
    return DeadLetter(topic, reason, len(payload), payload[:KEPT_BYTES], received_at)
