"""Console logins: password, cookie, logout, expiry, CSRF, throttling and locks (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.orm import ConsoleSession, LoginThrottle
from tests.api.builders import cell_center, make_alert
from tests.api.conftest import World
from tests.api.console_helpers import PASSWORD, csrf_of, give_passwords, log_in


@pytest.fixture
def desk(world: World) -> World:
    """The world with console passwords for two operators and a supervisor."""
    give_passwords(world.ctx, "op_t1", "op_t2", "supervisor")
    return world


@contextmanager
def _fresh_client(world: World, base_url: str = "http://testserver") -> Iterator[TestClient]:
    """A second browser on the running app (its lifespan already runs under `world.client`)."""
    client = TestClient(world.app, base_url=base_url)
    try:
        yield client
    finally:
        client.close()


def test_without_a_session_pages_lead_to_login(desk: World) -> None:
    reply = desk.client.get("/?tab=new", follow_redirects=False)
    assert reply.status_code == 303
    assert reply.headers["location"] == "/login?next=%2F%3Ftab%3Dnew"
    form = desk.client.get("/login").text
    assert 'name="username"' in form
    assert 'name="password"' in form


def test_login_sets_a_safe_cookie_and_a_wrong_password_is_refused(desk: World) -> None:
    client = desk.client
    form = client.get("/login")
    token = csrf_of(form.text)
    wrong = client.post("/login", data={"username": "op_t1", "password": "nope-nope", "csrf_token": token})
    assert wrong.status_code == 401
    assert "用户名或密码错误" in wrong.text
    right = client.post(
        "/login",
        data={"username": "op_t1", "password": PASSWORD, "csrf_token": token, "next": "/events/X"},
        follow_redirects=False,
    )
    assert right.status_code == 303
    assert right.headers["location"] == "/events/X"
    cookie = next(c for c in right.headers.get_list("set-cookie") if c.startswith("gw_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain HTTP
    assert client.get("/", follow_redirects=False).status_code == 200


def test_cookie_is_secure_over_tls(desk: World) -> None:
    with _fresh_client(desk, "https://testserver") as client:
        token = csrf_of(client.get("/login").text)
        reply = client.post(
            "/login",
            data={"username": "op_t1", "password": PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
        cookie = next(c for c in reply.headers.get_list("set-cookie") if c.startswith("gw_session="))
        assert "Secure" in cookie


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", "/\\evil"])
def test_login_never_sends_the_user_to_another_site(desk: World, next_url: str) -> None:
    token = csrf_of(desk.client.get("/login").text)
    reply = desk.client.post(
        "/login",
        data={"username": "op_t1", "password": PASSWORD, "csrf_token": token, "next": next_url},
        follow_redirects=False,
    )
    assert reply.headers["location"] == "/"


def test_login_form_without_its_csrf_token_is_refused(desk: World) -> None:
    desk.client.get("/login")
    reply = desk.client.post("/login", data={"username": "op_t1", "password": PASSWORD})
    assert reply.status_code == 403
    assert "CSRF" in reply.text


def test_logout_ends_the_session_for_good(desk: World) -> None:
    csrf = log_in(desk.client, "op_t1")
    cookie = desk.client.cookies["gw_session"]
    assert desk.client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    with _fresh_client(desk) as stolen:
        stolen.cookies.set("gw_session", cookie)
        assert stolen.get("/", follow_redirects=False).headers["location"].startswith("/login")


@pytest.mark.parametrize("column", ["expires_at", "last_seen_at"])
def test_sessions_expire_and_go_idle(desk: World, column: str) -> None:
    log_in(desk.client, "op_t1")
    hours = 13 if column == "expires_at" else -3
    past = datetime.now(UTC) - timedelta(hours=abs(hours))
    with desk.ctx.sessions() as session:
        session.execute(update(ConsoleSession).values({column: past}))
        session.commit()
    assert desk.client.get("/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/logout", {}),
        ("/account/language", {"locale": "en"}),
        ("/events/{code}/actions", {"action": "acknowledge"}),
        ("/events/{code}/comments", {"text": "hello"}),
        ("/account/password", {"current": PASSWORD, "new": "another pass 1", "repeat": "another pass 1"}),
    ],
)
def test_every_state_changing_form_needs_its_csrf_token(desk: World, path: str, data: dict[str, str]) -> None:
    code = desk.post_alert(make_alert("csrf-1", at=cell_center(1, 1, 1))).json()["event_code"]
    csrf = log_in(desk.client, "op_t1")
    url = path.format(code=code)
    missing = desk.client.post(url, data=data, follow_redirects=False)
    wrong = desk.client.post(url, data={**data, "csrf_token": "x" + csrf}, follow_redirects=False)
    foreign = desk.client.post(
        url,
        data={**data, "csrf_token": csrf},
        headers={"Origin": "http://evil.example"},
        follow_redirects=False,
    )
    assert missing.status_code == wrong.status_code == foreign.status_code == 403
    status = desk.client.get(f"/v1/events/{code}", headers=desk.as_user("op_t1")).json()["event"]["status"]
    assert status == "new"
    assert desk.client.get("/", follow_redirects=False).status_code == 200  # still logged in


def _fail(client: TestClient, username: str, password: str = "wrong password") -> int:
    token = csrf_of(client.get("/login").text)
    reply = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    return reply.status_code


def _metric(world: World, name: str, label: str) -> float:
    text = world.client.get("/metrics").text
    found = re.search(rf'^{name}\{{\w+="{label}"\}} (\S+)$', text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def _let_the_wait_pass(world: World) -> None:
    """Move the last failures a minute into the past (the longest wait), instead of sleeping."""
    with world.ctx.sessions() as session:
        session.execute(
            update(LoginThrottle).values(last_failure_at=datetime.now(UTC) - timedelta(minutes=1))
        )
        session.commit()


def test_failed_logins_slow_down_then_lock_the_user(desk: World) -> None:
    settings = desk.ctx.settings
    for _ in range(settings.login_user_slow_after):
        assert _fail(desk.client, "op_t1") == 401
    assert _fail(desk.client, "op_t1") == 429  # must wait before the next try
    for _ in range(settings.login_user_lock_after - settings.login_user_slow_after):
        _let_the_wait_pass(desk)
        assert _fail(desk.client, "op_t1") == 401
    _let_the_wait_pass(desk)
    assert _fail(desk.client, "op_t1", PASSWORD) == 429  # locked: even the right password
    assert _metric(desk, "gridwatch_console_lockouts_total", "user") == 1
    assert _metric(desk, "gridwatch_console_logins_total", "failed") == settings.login_user_lock_after
    assert _metric(desk, "gridwatch_console_logins_total", "locked") >= 1
    assert _metric(desk, "gridwatch_console_logins_total", "throttled") == 1
    log_in(desk.client, "op_t2")  # another user from the same address is not locked yet


def test_a_changed_password_ends_the_other_sessions(desk: World) -> None:
    csrf = log_in(desk.client, "op_t1")
    with _fresh_client(desk) as phone:
        log_in(phone, "op_t1")
        reply = desk.client.post(
            "/account/password",
            data={"csrf_token": csrf, "current": PASSWORD, "new": "a new pass 42", "repeat": "a new pass 42"},
            follow_redirects=False,
        )
        assert reply.status_code == 303
        assert phone.get("/", follow_redirects=False).status_code == 303  # the other session ended
    assert desk.client.get("/", follow_redirects=False).status_code == 200  # this one goes on
    with _fresh_client(desk) as again:
        log_in(again, "op_t1", "a new pass 42")


def test_case_system_accounts_cannot_get_a_console_password(desk: World) -> None:
    from api.errors import BadInputError

    with pytest.raises(BadInputError, match="console logins are for"):
        give_passwords(desk.ctx, "case")


def test_failed_logins_from_one_address_lock_that_address(desk: World) -> None:
    desk.ctx.settings = desk.ctx.settings.model_copy(
        update={"login_address_slow_after": 2, "login_address_lock_after": 3}
    )
    for name in ("nobody-1", "nobody-2"):
        assert _fail(desk.client, name) == 401
    _let_the_wait_pass(desk)
    assert _fail(desk.client, "nobody-3") == 401
    assert _fail(desk.client, "supervisor", PASSWORD) == 429  # the address is locked for every user
    assert _metric(desk, "gridwatch_console_lockouts_total", "address") == 1
