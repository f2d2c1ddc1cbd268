"""Helpers for console tests through FastAPI's TestClient: passwords for the seeded users, logging in."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from api.context import ApiContext
from api.services.accounts import set_password

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def give_passwords(ctx: ApiContext, *usernames: str) -> None:
    """Set the console password `PASSWORD` for each user."""
    with ctx.sessions() as session:
        for name in usernames:
            set_password(
                session=session, username=name, password=PASSWORD, actor="test", now=datetime.now(UTC)
            )
        session.commit()


def csrf_of(html: str) -> str:
    """The CSRF token in a page's forms."""
    found = CSRF.search(html)
    assert found is not None, html[:2000]
    return found.group(1)


def log_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log `client` in; returns the session's CSRF token (from the queue page)."""
    form = client.get("/login")
    reply = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(form.text), "next": "/"},
        follow_redirects=False,
    )
    assert reply.status_code == 303, reply.text[:2000]
    return csrf_of(client.get("/").text)
