"""The message catalogue is complete, every key the pages use exists, and templates hold no bare text."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from api.console.i18n import LOCALES, load_catalogue
from api.errors import ConfigError

CONSOLE = Path(__file__).resolve().parents[2] / "api" / "console"
TEMPLATES = sorted((CONSOLE / "templates").glob("*.html"))
KEY = re.compile(r"""\bt\(\s*["']([\w.\-]+)["']\s*[,)]""")
PREFIX = re.compile(r"""\bt\(\s*["']([\w\-]+\.[\w.\-]*)["']\s*~""")
JINJA = re.compile(r"{{.*?}}|{%.*?%}|{#.*?#}", re.DOTALL)
WORDS = re.compile(r"[A-Za-z\u4e00-\u9fff]")
TEXT_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}


def test_every_message_has_every_language() -> None:
    catalogue = load_catalogue()
    for locale in LOCALES:
        assert set(catalogue.messages[locale]) == catalogue.keys()
        assert all(text.strip() for text in catalogue.messages[locale].values())


def test_a_message_missing_a_language_is_refused(tmp_path: Path) -> None:
    (tmp_path / "area.yaml").write_text("title: {zh-CN: 标题}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"area\.yaml: message 'title' must give exactly zh-CN, en"):
        load_catalogue(tmp_path)


@pytest.mark.parametrize("source", [*TEMPLATES, *sorted(CONSOLE.glob("*.py"))], ids=lambda p: p.name)
def test_every_literal_key_is_in_the_catalogue(source: Path) -> None:
    keys = load_catalogue().keys()
    text = source.read_text(encoding="utf-8")
    assert set(KEY.findall(text)) - keys == set()
    for prefix in PREFIX.findall(text):  # t("status." ~ s): the area must exist
        assert any(key.startswith(prefix) for key in keys), prefix


class _BareText(HTMLParser):
    """Collects text and text-bearing attributes that are not Jinja expressions."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_data(self, data: str) -> None:
        if WORDS.search(data):
            self.found.append(data.strip())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [f"{tag}[{name}]={value}" for name, value in attrs
                       if name in TEXT_ATTRIBUTES and value and WORDS.search(value)]  # fmt: skip


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_templates_show_no_text_outside_the_catalogue(template: Path) -> None:
    parser = _BareText()
    parser.feed(JINJA.sub("", template.read_text(encoding="utf-8")))
    assert parser.found == []
