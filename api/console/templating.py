"""Rendering console pages: one Jinja2 environment, the message catalogue, times in the centre's zone."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from api.console.i18n import Translator
from api.console.nav import visible
from api.services.accounts import LoggedIn

HERE = Path(__file__).parent
STATIC = HERE / "static"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static"] = static_url
    return env


@cache
def static_url(name: str) -> str:
    """URL of a static file with a content hash, so browsers never keep a stale copy."""
    digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:10]
    return f"/static/console/{name}?v={digest}"


@dataclass(frozen=True)
class Clock:
    """Formats times in the centre's time zone (the same for both languages)."""

    zone: ZoneInfo
    now: datetime

    def short(self, at: datetime | None) -> str:
        """`11-21 14:03`, or the time alone for today."""
        if at is None:
            return ""
        local = at.astimezone(self.zone)
        today = self.now.astimezone(self.zone).date()
        return local.strftime("%H:%M") if local.date() == today else local.strftime("%m-%d %H:%M")

    def full(self, at: datetime | None) -> str:
        """`2026-11-21 14:03:05`."""
        return "" if at is None else at.astimezone(self.zone).strftime("%Y-%m-%d %H:%M:%S")

    @staticmethod
    def iso(at: datetime) -> str:
        """UTC ISO 8601 for scripts (`data-due`)."""
        return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def duration(t: Translator, span: timedelta) -> str:
    """`2天 3:04:05` / `2 d 3:04:05`, `0:12:00`; negative spans get a leading minus."""
    seconds = int(abs(span.total_seconds()))
    days, rest = divmod(seconds, 86400)
    clock = f"{rest // 3600}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    text = f"{t('common.days', n=days)} {clock}" if days else clock
    return f"−{text}" if span.total_seconds() < 0 else text


@dataclass(frozen=True)
class Page:
    """What every page needs: the request, who is logged in, their language and the centre's clock."""

    request: Request
    t: Translator
    clock: Clock
    login: LoggedIn | None

    def render(self, template: str, *, status: int = 200, **data: Any) -> HTMLResponse:
        """The template filled with `data` plus the page's globals."""
        login = self.login
        html = (
            _environment()
            .get_template(template)
            .render(
                t=self.t,
                locale=self.t.locale,
                clock=self.clock,
                duration=lambda span: duration(self.t, span),
                login=login,
                nav=visible(login.principal.role) if login else [],
                path=self.request.url.path,
                page_name=template.removesuffix(".html"),
                csrf=login.csrf_token if login else "",
                **data,
            )
        )
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
