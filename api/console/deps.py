"""Who is at the console: the session cookie, the page context, CSRF checks, redirects to /login."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime, timedelta
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse

from api.console.i18n import load_catalogue, pick
from api.console.templating import SECURITY_HEADERS, Clock, Page
from api.context import ApiContext
from api.deps import CtxDep
from api.errors import ForbiddenError, NotAuthenticatedError
from api.services.accounts import LoggedIn, SessionPolicy, logged_in
from api.settings import ApiSettings

SESSION_COOKIE = "gw_session"
LANG_COOKIE = "gw_lang"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class LoginRequiredError(NotAuthenticatedError):
    """No valid console session: pages redirect to /login, scripts get 401."""


class CsrfError(ForbiddenError):
    """A state-changing request without the session's CSRF token, or from another origin."""


def mark_console(request: Request) -> None:
    """Router dependency: errors on this request are shown as console pages, not JSON."""
    request.state.console = True


def session_policy(settings: ApiSettings) -> SessionPolicy:
    """The login lifetime and idle timeout from the settings."""
    return SessionPolicy(
        timedelta(hours=settings.session_hours), timedelta(minutes=settings.session_idle_minutes)
    )


def read_login(ctx: ApiContext, token: str | None, now: datetime) -> LoggedIn:
    """The session behind a cookie value, in a short session of its own; LoginRequiredError otherwise."""
    if not token:
        raise LoginRequiredError("not logged in")
    with ctx.sessions() as session:
        try:
            found = logged_in(session=session, token=token, policy=session_policy(ctx.settings), now=now)
        except NotAuthenticatedError as exc:
            raise LoginRequiredError(str(exc)) from exc
        session.commit()
    return found


def get_login(request: Request, ctx: CtxDep) -> LoggedIn:
    """The logged-in user; pages without one lead to /login."""
    login = read_login(ctx, request.cookies.get(SESSION_COOKIE), datetime.now(UTC))
    request.state.login = login
    return login


LoginDep = Annotated[LoggedIn, Depends(get_login)]


def make_page(request: Request, ctx: ApiContext, login: LoggedIn | None, locale: str | None = None) -> Page:
    """The page context: the user's language (else the cookie's, else zh-CN) and the centre's clock."""
    locale = pick(locale or (login.locale if login else None) or request.cookies.get(LANG_COOKIE))
    page = Page(
        request, load_catalogue().translator(locale), Clock(ctx.centre.zone, datetime.now(UTC)), login
    )
    request.state.page = page
    return page


def get_page(request: Request, ctx: CtxDep, login: LoginDep) -> Page:
    """The page context of a logged-in user."""
    return make_page(request, ctx, login)


PageDep = Annotated[Page, Depends(get_page)]


def same_origin(request: Request) -> bool:
    """False when the browser says the request came from another site (Origin or Referer)."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source or source == "null":
        return source is None
    return urlsplit(source).netloc == request.headers.get("host", "")


async def check_csrf(request: Request, expected: str) -> None:
    """The form field (or header) must carry `expected`, and the request must be same-origin."""
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise CsrfError("the form is missing its security token (CSRF) or it is stale: reload the page")
    if not same_origin(request):
        raise CsrfError("the request came from another site")


async def get_csrf_login(request: Request, login: LoginDep) -> LoggedIn:
    """A logged-in user whose state-changing request carries the session's CSRF token."""
    await check_csrf(request, login.csrf_token)
    return login


CsrfLoginDep = Annotated[LoggedIn, Depends(get_csrf_login)]


def safe_next(target: str | None) -> str:
    """A local path to go to after login (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def redirect(url: str) -> RedirectResponse:
    """303 See Other (after a POST, the browser GETs the target)."""
    return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)


def to_login(request: Request) -> RedirectResponse:
    """Send a browser without a session to /login, coming back here afterwards."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return redirect(f"/login?next={quote(here, safe='')}")
