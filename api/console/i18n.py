"""The console's message catalogue: every visible string, zh-CN (default) and English.

Messages live in `messages/<area>.yaml`, one entry per key with every language side by side:

    title: {zh-CN: 事件队列, en: Event queue}

and are looked up as `<area>.<key>` (`queue.title`). Later pages add their own area file; an entry
missing a language is refused when the catalogue loads, so no page can show a half-translated screen.

Example:
    >>> catalogue = load_catalogue()
    >>> catalogue.translator("en")("status.new")
    'New'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from api.errors import ConfigError

LOCALES = ("zh-CN", "en")
DEFAULT_LOCALE = "zh-CN"
MESSAGES = Path(__file__).parent / "messages"


class Translator:
    """`t(key, **params)` for one language; `{name}` placeholders are filled from `params`."""

    def __init__(self, locale: str, messages: Mapping[str, str]) -> None:
        self.locale = locale
        self._messages = messages

    def __call__(self, key: str, /, **params: Any) -> str:
        text = self._messages.get(key)
        if text is None:
            raise KeyError(f"message {key!r} is not in the console catalogue")
        return text.format(**params) if params else text

    def get(self, key: str, default: str) -> str:
        """The message, or `default` when the catalogue has none (e.g. a centre's own event type)."""
        return self._messages.get(key, default)

    def has(self, key: str) -> bool:
        """Whether the catalogue holds `key`."""
        return key in self._messages


@dataclass(frozen=True)
class Catalogue:
    """Every message in every language."""

    messages: Mapping[str, Mapping[str, str]]  # locale -> key -> text

    def translator(self, locale: str) -> Translator:
        """The translator of `locale` (the default language for unknown ones)."""
        chosen = pick(locale)
        return Translator(chosen, self.messages[chosen])

    def keys(self) -> set[str]:
        """Every key of the catalogue."""
        return set(self.messages[DEFAULT_LOCALE])


def pick(locale: str | None) -> str:
    """`locale` when the console speaks it, else the default (zh-CN)."""
    return locale if locale in LOCALES else DEFAULT_LOCALE


def _area(path: Path) -> dict[str, dict[str, str]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of message keys")
    found: dict[str, dict[str, str]] = {locale: {} for locale in LOCALES}
    for key, entry in data.items():
        if not isinstance(entry, dict) or set(entry) != set(LOCALES):
            raise ConfigError(
                f"{path}: message {key!r} must give exactly {', '.join(LOCALES)}, got {entry!r}"
            )
        for locale in LOCALES:
            found[locale][f"{path.stem}.{key}"] = str(entry[locale])
    return found


@cache
def load_catalogue(folder: Path = MESSAGES) -> Catalogue:
    """Read every area file of `folder` (once per process)."""
    merged: dict[str, dict[str, str]] = {locale: {} for locale in LOCALES}
    for path in sorted(folder.glob("*.yaml")):
        for locale, messages in _area(path).items():
            merged[locale].update(messages)
    return Catalogue(merged)
