"""``rmbench feedback serve``: the rater page, a vote endpoint and an admin view, stdlib only, on 127.0.0.1.

    GET  /, /index.html, /app.js, /style.css, /items.json   the public page files (nothing else)
    POST /api/rater   {"rater": "..."}  -> {"rater": normalized name, "answered": [item ids]}
    POST /api/click   {"rater": "...", "session": "...", "item_id": "...", "choice": "A"|"B"|"tie"|"both_bad"|"skip"}
         201 stored · 409 this rater already answered the item · 400 malformed (or nested
         too deep, or no rater) · 403 a Host that is not this server · 413 body too large ·
         415 not JSON · 503 the store could not write it (nothing stored)
    GET  /admin, /admin.json   votes per item, raters, inter-rater agreement, refused requests;
         only to a client on this machine (127.0.0.1) whose request was not forwarded by a proxy

Every check happens before the store is touched, so a bad request changes nothing; each
refused request is counted by reason and shown on /admin. The provenance file and the
database sit in ``private/`` and are never served. The page's static files are served from
the installed package, so a page written by an older rmbench gets the current rater page.
Cross-site pages cannot post here: a JSON content type forces a CORS preflight, which this
server never grants, and a request whose ``Host`` is not ``127.0.0.1:PORT`` /
``localhost:PORT`` (a DNS-rebinding page's would be its own name) is refused before anything else.

Requests are routed through ``Handler.GET`` / ``Handler.POST`` (path -> method name): a new
page or endpoint is one entry and one method. The server is threaded and its listen queue
holds a burst of hundreds of simultaneous votes; SQLite serialises the writes.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import Counter
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from rmbench.feedback.admin import admin_doc, admin_html
from rmbench.feedback.page import PUBLIC_FILES, STATIC_FILES, db_path, load_items, static_text
from rmbench.feedback.store import CHOICES, SESSION_RE, ClickStore, DuplicateClick, normalize_rater
from rmbench.jsonlimits import JSONLimitError, loads_bounded

MAX_BODY = 2048  # a vote is ~150 bytes of JSON; anything bigger is not a vote
MAX_DEPTH = 4  # a vote is one flat object: deeper nesting is never a vote
HOST = "127.0.0.1"  # local only: the page is for people at this machine (or an SSH tunnel)
LISTEN_QUEUE = 1024  # connections the kernel queues while every thread is busy (a burst of votes)
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".json": "application/json; charset=utf-8"}
# A reverse proxy on this machine connects from 127.0.0.1 too: a request that went through
# one (it says so in these headers) is not from this machine's user and never sees /admin.
PROXY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Real-IP")


def _object(body: bytes, keys: set[str]) -> dict:
    try:
        data = loads_bounded(body, max_bytes=MAX_BODY, max_depth=MAX_DEPTH)
    except JSONLimitError as e:
        raise ValueError(f"body is not a vote: {e}") from None
    if not isinstance(data, dict) or set(data) != keys:
        if isinstance(data, dict) and set(data) == {"session", "item_id", "choice"}:
            raise ValueError("no rater: sign in with your name or token first (reload the page)")
        raise ValueError(f"expected exactly the keys {', '.join(sorted(keys))}")
    return data


def parse_click(body: bytes, known_items: set[str]) -> tuple[str, str, str, str]:
    """(rater, session, item_id, choice) or ValueError with what is wrong."""
    data = _object(body, {"rater", "session", "item_id", "choice"})
    session, item, choice = data["session"], data["item_id"], data["choice"]
    rater = normalize_rater(data["rater"])
    if not isinstance(session, str) or not SESSION_RE.fullmatch(session):
        raise ValueError("session must be 8-64 characters of A-Z a-z 0-9 _ -")
    if not isinstance(item, str) or item not in known_items:
        raise ValueError("unknown item_id")
    if choice not in CHOICES:
        raise ValueError(f"choice must be one of {', '.join(CHOICES)}")
    return rater, session, item, choice


class FeedbackServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = LISTEN_QUEUE  # the listen(2) backlog (socketserver's default is 5)

    def __init__(self, page_dir: str | Path, port: int = 0):
        self.page_dir = Path(page_dir)
        self.item_list = load_items(self.page_dir)
        self.items = {it["item_id"] for it in self.item_list}
        self.store = ClickStore(db_path(self.page_dir))
        self.rejected: Counter = Counter()  # refused requests by reason, since start (shown on /admin)
        self._rejected_lock = threading.Lock()
        super().__init__((HOST, port), Handler)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}/"

    def refuse(self, reason: str) -> None:
        with self._rejected_lock:
            self.rejected[reason] += 1


class Handler(BaseHTTPRequestHandler):
    server: FeedbackServer
    server_version = "rmbench-feedback"
    timeout = 10  # seconds: a client that announces a body and never sends it loses its thread, not ours

    def log_message(self, fmt, *args):  # silent: every vote is in the store; per-request stderr helps no one
        pass

    def _send(self, status: int, body: bytes, ctype: str = "application/json; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, obj: dict) -> None:
        self._send(status, json.dumps(obj).encode())

    def _refuse(self, status: int, reason: str, message: str) -> None:
        self.server.refuse(reason)
        self._json(status, {"error": message})

    # -- routing: path -> handler method (add a page or an endpoint here) -------------------
    GET = {"/": "page_file", "/favicon.ico": "favicon", "/admin": "admin", "/admin.json": "admin_json",
           **{f"/{n}": "page_file" for n in PUBLIC_FILES}}
    POST = {"/api/click": "click", "/api/rater": "rater"}

    def _route(self, table: dict) -> None:
        if not self._host_ok():
            return self._refuse(HTTPStatus.FORBIDDEN, "wrong_host", "wrong Host header: use the URL this server printed")
        name = table.get(self.path.split("?", 1)[0])
        if name is None:
            return self._refuse(HTTPStatus.NOT_FOUND, "not_found", "not found")
        getattr(self, name)()

    def do_GET(self):
        self._route(self.GET)

    do_HEAD = do_GET

    def do_POST(self):
        self._route(self.POST)

    def _host_ok(self) -> bool:
        """``Host`` must name this server: 127.0.0.1 or localhost, with its port (DNS rebinding)."""
        port = self.server.server_address[1]
        host = (self.headers.get("Host") or "").strip().lower()
        return host in (f"127.0.0.1:{port}", f"localhost:{port}")

    def _local(self) -> bool:
        """A client on this machine, not relayed by a proxy (which would also connect from 127.0.0.1)."""
        return self.client_address[0] == "127.0.0.1" and not any(self.headers.get(h) for h in PROXY_HEADERS)

    def _body(self) -> bytes | None:
        """The JSON body, or None after answering why not."""
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/json":
            return self._refuse(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "not_json", "send application/json")
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            return self._refuse(HTTPStatus.LENGTH_REQUIRED, "no_length", "Content-Length required")
        if length < 0 or length > MAX_BODY:
            self.close_connection = True  # do not read an oversized body
            return self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "too_large", f"body over {MAX_BODY} bytes")
        return self.rfile.read(length)

    # -- handlers --------------------------------------------------------------------------
    def favicon(self):  # browsers ask for it; an empty answer keeps the console clean
        self._send(HTTPStatus.NO_CONTENT, b"", "image/x-icon")

    def page_file(self):
        name = self.path.split("?", 1)[0].lstrip("/") or "index.html"
        path = self.server.page_dir / name
        body = static_text(name).encode() if name in STATIC_FILES else path.read_bytes()
        self._send(HTTPStatus.OK, body, TYPES[path.suffix])

    def admin_json(self):
        if not self._local():
            return self._refuse(HTTPStatus.FORBIDDEN, "admin_not_local", "/admin is only for this machine")
        self._json(HTTPStatus.OK, self._admin_doc())

    def admin(self):
        if not self._local():
            return self._refuse(HTTPStatus.FORBIDDEN, "admin_not_local", "/admin is only for this machine")
        self._send(HTTPStatus.OK, admin_html(self._admin_doc()).encode(), TYPES[".html"])

    def _admin_doc(self) -> dict:
        with self.server._rejected_lock:
            rejected = dict(self.server.rejected)
        return admin_doc(self.server.store.clicks(), self.server.item_list, rejected)

    def rater(self):
        body = self._body()
        if body is None:
            return
        try:
            rater = normalize_rater(_object(body, {"rater"})["rater"])
            answered = self.server.store.answered(rater)
        except ValueError as e:
            return self._refuse(HTTPStatus.BAD_REQUEST, "bad_request", str(e))
        except (sqlite3.Error, OSError) as e:
            return self._refuse(HTTPStatus.SERVICE_UNAVAILABLE, "store_error", f"the store could not be read ({e})")
        self._json(HTTPStatus.OK, {"rater": rater, "answered": answered})

    def click(self):
        body = self._body()
        if body is None:
            return
        try:
            rater, session, item, choice = parse_click(body, self.server.items)
        except ValueError as e:
            return self._refuse(HTTPStatus.BAD_REQUEST, "bad_request", str(e))
        try:
            click_id = self.server.store.add(session, item, choice, rater=rater)
        except DuplicateClick as e:
            return self._refuse(HTTPStatus.CONFLICT, "duplicate_vote", str(e))
        except (sqlite3.Error, OSError) as e:  # a full disk, say: the vote is not stored, and says so
            return self._refuse(HTTPStatus.SERVICE_UNAVAILABLE, "store_error", f"the vote was not stored ({e}); try again")
        self._json(HTTPStatus.CREATED, {"stored": click_id})


def start_in_thread(page_dir: str | Path, port: int = 0) -> tuple[FeedbackServer, threading.Thread]:
    """Serve in a daemon thread (tests, notebooks); stop with ``server.shutdown()``."""
    server = FeedbackServer(page_dir, port)
    thread = threading.Thread(target=server.serve_forever, name="rmbench-feedback", daemon=True)
    thread.start()
    return server, thread
