"""The planner's web application (FastAPI): server-rendered pages and the JSON API under ``/api/v1``.

Pages work without JavaScript; every response carries a strict Content Security Policy (scripts and styles only
from the app itself), ``X-Frame-Options: DENY``, ``Referrer-Policy: no-referrer`` and ``Cache-Control: no-store``
(family records never sit in a shared cache). Errors the user can cause answer with the status their message
names and never a traceback: :class:`~circles.planner.records.NotFound` 404,
:class:`~circles.planner.records.Forbidden` 403, any other :class:`~circles.errors.PlannerError` 400.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from circles.errors import PlannerError
from circles.planner.db import Database
from circles.planner.issues import FamilyIssues, default_family_issues
from circles.planner.places import Gazetteer
from circles.planner.records import Forbidden, NotFound
from circles.planner.web.deps import SignInNeeded

__all__ = ["create_app"]

_HERE = Path(__file__).parent

_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def create_app(
    db: Database,
    *,
    issues: FamilyIssues | None = None,
    gazetteer: Gazetteer | None = None,
    secure_cookies: bool = True,
) -> FastAPI:
    """The planner app over an open, migrated database.

    Parameters
    ----------
    db : Database
        From :func:`circles.planner.db.connect`, with its cipher.
    issues : FamilyIssues, optional
        The plain-language issue list; default the embedded one.
    gazetteer : Gazetteer, optional
        Postcode look-ups; default the embedded postcode directory (read on first use).
    secure_cookies : bool
        Mark the session cookie ``Secure`` (browsers send it to ``https://`` and to ``http://127.0.0.1``).
    """
    from circles.planner.web import api, family_pages, pages

    app = FastAPI(
        title="circles family service planner", docs_url=None, redoc_url=None, openapi_url="/api/v1/openapi.json"
    )
    app.state.db = db
    app.state.issues = issues or default_family_issues()
    app.state.gazetteer = gazetteer
    app.state.secure_cookies = secure_cookies
    app.state.templates = Jinja2Templates(
        env=jinja2.Environment(loader=jinja2.FileSystemLoader(str(_HERE / "templates")), autoescape=True)
    )
    app.mount("/static", StaticFiles(directory=str(_HERE / "static")), name="static")

    @app.middleware("http")
    async def _security_headers(request: Request, call_next) -> Response:
        response = await call_next(request)
        for name, value in _HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.exception_handler(SignInNeeded)
    async def _sign_in(request: Request, exc: SignInNeeded) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": exc.detail}, status_code=401)
        return RedirectResponse("/sign-in", status_code=303)

    def _error(status: int):
        async def handler(request: Request, exc: PlannerError) -> Response:
            if _is_api(request):
                return JSONResponse({"detail": str(exc)}, status_code=status)
            return app.state.templates.TemplateResponse(
                request, "error.html", {"status": status, "message": str(exc)}, status_code=status
            )

        return handler

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        return app.state.templates.TemplateResponse(
            request, "error.html", {"status": exc.status_code, "message": str(exc.detail)}, status_code=exc.status_code
        )

    app.add_exception_handler(NotFound, _error(404))
    app.add_exception_handler(Forbidden, _error(403))
    app.add_exception_handler(PlannerError, _error(400))

    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(family_pages.router)
    return app
