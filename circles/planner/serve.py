"""Starting the planner's web application (``circles planner serve``).

The app listens on the loopback address unless told otherwise. Family records are special-category personal
data, so a server reachable from other machines is refused unless ``allow_remote`` says there is TLS in front of
it (a reverse proxy such as nginx or Caddy terminating HTTPS and forwarding to this port); cookies without the
``Secure`` flag are for a browser on the same machine only.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from circles.errors import PlannerError
from circles.planner.db import Database, require_current

__all__ = ["app_from_environment", "build_app", "check_host", "is_loopback", "serve"]


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine only (``127.0.0.1``, ``::1``, ``localhost``).

    Examples
    --------
    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0"), is_loopback("planner.example")
    (True, True, False, False)
    """
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def check_host(host: str, *, allow_remote: bool = False, secure_cookies: bool = True) -> None:
    """Refuse a host other machines can reach without ``allow_remote``, and insecure cookies on one."""
    if is_loopback(host):
        return
    if not allow_remote:
        raise PlannerError(
            f"Refusing to listen on {host}: other machines could reach the planner. Family records need TLS: put a "
            "reverse proxy that terminates HTTPS (nginx, Caddy, IIS) in front, have it forward to 127.0.0.1, or, "
            "if the proxy runs on another machine, pass --allow-remote."
        )
    if not secure_cookies:
        raise PlannerError(
            "--insecure-cookies is for a browser on this machine only: a server other machines reach sends its "
            "session cookies over HTTPS (through the reverse proxy), so leave the flag out."
        )


def build_app(db: Database, *, secure_cookies: bool = True):
    """The web app over ``db``, after checking the database is migrated to the newest revision."""
    require_current(db)
    from circles.planner.web.app import create_app

    return create_app(db, secure_cookies=secure_cookies)


#: Set for worker processes (``serve(workers=N)``): whether the session cookie is marked Secure.
_SECURE_ENV = "CIRCLES_PLANNER_SECURE_COOKIES"


def app_from_environment():
    """The app in a uvicorn worker process: the database from ``CIRCLES_PLANNER_DB``, the key from
    ``CIRCLES_PLANNER_KEY_FILE`` (both set by :func:`serve` before it starts the workers)."""
    import os

    from circles.planner.crypto import default_key_path, load_key_file
    from circles.planner.db import connect

    db = connect(None, load_key_file(default_key_path()))
    return build_app(db, secure_cookies=os.environ.get(_SECURE_ENV, "1") == "1")


def serve(
    db: Database,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    allow_remote: bool = False,
    secure_cookies: bool = True,
    workers: int = 1,
    key_file: str | None = None,
    log: Callable[[str], None] = print,
) -> None:
    """Check the host and the database, then run the app with uvicorn until interrupted.

    ``workers`` above 1 runs that many server processes (uvicorn's process manager), each with its own
    connections; they need the key file's path (``key_file``) to open the sealed fields.
    """
    import uvicorn

    check_host(host, allow_remote=allow_remote, secure_cookies=secure_cookies)
    if not 0 < port < 65536:
        raise PlannerError(f"Port {port} is not a TCP port (1-65535).")
    app = build_app(db, secure_cookies=secure_cookies)
    where = f"[{host}]" if ":" in host else host
    log(f"family service planner on http://{where}:{port}/ (Ctrl+C stops it)")
    if not is_loopback(host):
        log("listening beyond this machine: only behind a reverse proxy that terminates TLS (HTTPS)")
    if workers == 1:
        uvicorn.run(app, host=host, port=port, server_header=False, log_level="info")
        return
    import os

    from circles.planner.crypto import KEY_ENV
    from circles.planner.db import DB_ENV

    if key_file is None:
        raise PlannerError("Several workers need the key file's path: give --key-file.")
    os.environ[DB_ENV] = db.engine.url.render_as_string(hide_password=False)
    os.environ[KEY_ENV] = str(key_file)
    os.environ[_SECURE_ENV] = "1" if secure_cookies else "0"
    log(f"{workers} worker processes")
    uvicorn.run(
        "circles.planner.serve:app_from_environment",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        server_header=False,
        log_level="info",
    )
