"""What every page and API call needs: a database session, the signed-in user, and a CSRF check on changes.

The session cookie is ``__Host-circles`` (``Secure; HttpOnly; SameSite=Strict; Path=/``) when the app runs with
secure cookies (the default: browsers treat ``http://127.0.0.1`` and ``localhost`` as secure too), else
``circles_session`` (``--insecure-cookies``, for a test client over plain HTTP).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Response
from sqlalchemy.orm import Session

from circles.planner.auth import SESSION_HOURS, check_csrf, session_user
from circles.planner.models import User, WebSession

__all__ = [
    "CSRF_HEADER",
    "CSRF_FIELD",
    "CurrentSession",
    "DbSession",
    "cookie_name",
    "db_session",
    "set_session_cookie",
    "clear_session_cookie",
    "signed_in",
    "verify_csrf",
]

CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"


def cookie_name(request: Request) -> str:
    return "__Host-circles" if request.app.state.secure_cookies else "circles_session"


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        cookie_name(request),
        token,
        max_age=SESSION_HOURS * 3600,
        path="/",
        secure=request.app.state.secure_cookies,
        httponly=True,
        samesite="strict",
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        cookie_name(request), path="/", secure=request.app.state.secure_cookies, httponly=True, samesite="strict"
    )


def db_session(request: Request) -> Iterator[Session]:
    """One database session per request: committed when the request succeeds, rolled back when it fails."""
    with request.app.state.db.session() as session:
        yield session


# scope="function": the session commits when the endpoint returns, before the response is sent, so a client is
# never told a change succeeded that then fails to commit
DbSession = Annotated[Session, Depends(db_session, scope="function")]


class SignInNeeded(HTTPException):
    """No live session: the API answers 401, a page sends the browser to the sign-in page."""

    def __init__(self) -> None:
        super().__init__(status_code=401, detail="Sign in first.")


def signed_in(request: Request, session: DbSession) -> WebSession:
    """The live session of the request's cookie, else :class:`SignInNeeded`."""
    web_session = session_user(session, request.cookies.get(cookie_name(request)))
    if web_session is None:
        raise SignInNeeded()
    request.state.web_session = web_session
    return web_session


CurrentSession = Annotated[WebSession, Depends(signed_in)]


async def verify_csrf(request: Request, web_session: CurrentSession) -> WebSession:
    """For a state-changing request: the session's CSRF token in ``X-CSRF-Token`` or the form, else 403."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        sent = form.get(CSRF_FIELD)
    if not check_csrf(web_session, sent if isinstance(sent, str) else None):
        raise HTTPException(status_code=403, detail="Missing or wrong CSRF token: reload the page and try again.")
    return web_session


ChangingSession = Annotated[WebSession, Depends(verify_csrf)]


def current_user(web_session: CurrentSession) -> User:
    return web_session.user
