"""Login, logout and the account page (language, password)."""

from __future__ import annotations

import asyncio
import hmac
import secrets
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response

from api.console.deps import (
    CSRF_FIELD,
    LANG_COOKIE,
    SESSION_COOKIE,
    CsrfError,
    CsrfLoginDep,
    LoginRequiredError,
    PageDep,
    make_page,
    mark_console,
    read_login,
    redirect,
    safe_next,
    same_origin,
)
from api.console.i18n import LOCALES, pick
from api.console.login import Attempt, log_in
from api.console.templating import Page
from api.context import ApiContext
from api.deps import CtxDep, get_ctx
from api.errors import ApiError
from api.orm import ConsoleAccount
from api.passwords import verify_password
from api.services.accounts import end_session, set_locale, set_password

router = APIRouter(include_in_schema=False, dependencies=[Depends(mark_console)])

LOGIN_CSRF_COOKIE = "gw_login_csrf"
YEAR_S = 365 * 86400


def _secure(request: Request) -> bool:
    configured = get_ctx(request).settings.cookie_secure
    return bool(configured) if configured is not None else request.url.scheme == "https"


def _login_form(
    page: Page, *, token: str, next_url: str, username: str = "", error: str = "", status: int = 200
) -> Response:
    response = page.render(
        "login.html", status=status, login_csrf=token, next_url=next_url, username=username, error=error
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="lax", secure=_secure(page.request), path="/login"
    )
    return response


@router.get("/login")
def login_page(request: Request, ctx: CtxDep, next: str = "/", lang: str | None = None) -> Response:
    """The login form (already logged in: straight on)."""
    try:
        read_login(ctx, request.cookies.get(SESSION_COOKIE), datetime.now(UTC))
        return redirect(safe_next(next))
    except LoginRequiredError:
        pass
    page = make_page(request, ctx, None, locale=lang)
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = _login_form(page, token=token, next_url=safe_next(next))
    if lang is not None:
        response.set_cookie(LANG_COOKIE, pick(lang), max_age=YEAR_S, samesite="lax", secure=_secure(request))
    return response


@router.post("/login")
async def login_submit(
    request: Request,
    ctx: CtxDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the password (throttled per user and address); success sets the session cookie."""
    page = make_page(request, ctx, None)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if (
        not expected
        or not hmac.compare_digest(csrf_token.encode(), expected.encode())
        or not same_origin(request)
    ):
        raise CsrfError("the login form is missing its security token (CSRF) or it is stale: reload the page")
    address = request.client.host if request.client else ""
    outcome = await log_in(
        ctx, Attempt(username.strip(), password, address, request.headers.get("user-agent", ""))
    )
    if outcome.token is None:
        refusal = outcome.refusal
        if refusal is None:
            error, status = page.t("login.failed"), 401
        else:
            until = page.clock.full(refusal.until)
            error = page.t("login.locked" if refusal.locked else "login.wait", until=until)
            status = 429
        return _login_form(
            page, token=expected, next_url=safe_next(next), username=username, error=error, status=status
        )
    response = redirect(safe_next(next))
    response.set_cookie(
        SESSION_COOKIE,
        outcome.token,
        max_age=int(ctx.settings.session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, ctx: CtxDep, _login: CsrfLoginDep) -> Response:
    """End this session."""
    with ctx.sessions() as session:
        end_session(session=session, token=request.cookies.get(SESSION_COOKIE, ""), now=datetime.now(UTC))
        session.commit()
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/account")
def account_page(page: PageDep, done: str = "") -> Response:
    """Language and password."""
    return page.render("account.html", locales=LOCALES, done=done, error="")


@router.post("/account/language")
async def account_language(request: Request, ctx: CtxDep, login: CsrfLoginDep) -> Response:
    """Switch the console language for this user (remembered across logins)."""
    form = await request.form()
    locale = pick(str(form.get("locale", "")))
    await asyncio.to_thread(_save_locale, ctx, login.principal.user_id, locale)
    response = redirect(safe_next(str(form.get("next", "/account"))))
    response.set_cookie(LANG_COOKIE, locale, max_age=YEAR_S, samesite="lax", secure=_secure(request))
    return response


@router.post("/account/password")
async def account_password(request: Request, ctx: CtxDep, login: CsrfLoginDep) -> Response:
    """Change one's own password; the user's other sessions end."""
    form = await request.form()
    current, new, repeat = (str(form.get(name, "")) for name in ("current", "new", "repeat"))
    page = make_page(request, ctx, login)
    error = await asyncio.to_thread(
        _change_password,
        ctx,
        login.principal.user_id,
        login.principal.username,
        login.session_id,
        current,
        new,
        repeat,
        page,
    )
    if error:
        return page.render("account.html", status=422, locales=LOCALES, done="", error=error)
    return redirect("/account?done=password")


def _save_locale(ctx: ApiContext, user_id: int, locale: str) -> None:
    with ctx.sessions() as session:
        set_locale(session=session, user_id=user_id, locale=locale)
        session.commit()


def _change_password(
    ctx: ApiContext,
    user_id: int,
    username: str,
    session_id: int,
    current: str,
    new: str,
    repeat: str,
    page: Page,
) -> str:
    with ctx.sessions() as session:
        account = session.get(ConsoleAccount, user_id)
        if account is None or not verify_password(account.password_hash, current):
            return page.t("account.wrong_current")
        if new != repeat:
            return page.t("account.mismatch")
        try:
            set_password(
                session=session,
                username=username,
                password=new,
                actor=f"user:{username}",
                now=datetime.now(UTC),
                keep_session_id=session_id,
            )
        except ApiError as exc:
            return str(exc)
        session.commit()
    return ""
