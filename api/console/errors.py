"""API errors raised while serving a console page become console pages (or a redirect to /login)."""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import PlainTextResponse

from api.console.deps import LoginRequiredError, make_page, to_login
from api.console.templating import SECURITY_HEADERS, Page
from api.deps import get_ctx
from api.errors import ApiError, ConflictError, NotFoundError

TITLES = {404: "error.not_found", 409: "error.conflict", 403: "error.forbidden", 422: "error.bad_input"}


def wants_page(request: Request) -> bool:
    """Whether a browser navigates here (else a script fetches: it gets plain text)."""
    return request.headers.get(
        "x-requested-with"
    ) != "fetch" and "text/event-stream" not in request.headers.get("accept", "")


def console_error(request: Request, exc: ApiError) -> Response:
    """The error as a page in the user's language, with the status code of the API error."""
    if isinstance(exc, LoginRequiredError):
        return to_login(request) if wants_page(request) else PlainTextResponse(str(exc), 401)
    if not wants_page(request):
        return PlainTextResponse(str(exc), exc.status_code, headers=SECURITY_HEADERS)
    page: Page | None = getattr(request.state, "page", None)
    if page is None:
        page = make_page(request, get_ctx(request), getattr(request.state, "login", None))
    title = TITLES.get(exc.status_code, "error.failed")
    detail = page.t("error.not_in_scope") if isinstance(exc, NotFoundError) else str(exc)
    allowed = exc.allowed if isinstance(exc, ConflictError) else None
    return page.render("error.html", status=exc.status_code, title=title, detail=detail, allowed=allowed)
