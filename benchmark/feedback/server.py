"""``rmbench feedback serve``: the page and a click endpoint, stdlib only, on 127.0.0.1.

    GET  /, /index.html, /app.js, /style.css, /items.json   the public page files (nothing else)
    POST /api/click   {"session": "...", "item_id": "...", "choice": "A"|"B"}
         201 stored · 409 this session already answered the item · 400 malformed (or nested
         too deep) · 403 a Host that is not this server · 413 body too large · 415 not JSON ·
         503 the store could not write it (nothing stored)

Every check happens before the store is touched, so a bad request changes nothing. The
provenance file and the database sit in ``private/`` and are never served. Cross-site pages
cannot post here: a JSON content type forces a CORS preflight, which this server never grants,
and a request whose ``Host`` is not ``127.0.0.1:PORT`` / ``localhost:PORT`` (a DNS-rebinding
page's would be its own name) is refused before anything else.

Requests are routed through ``Handler.GET`` / ``Handler.POST`` (path -> method name): a new
page or endpoint is one entry and one method. The server is threaded and its listen queue
holds a burst of hundreds of simultaneous clicks; SQLite serialises the writes.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from rmbench.feedback.page import PUBLIC_FILES, db_path, load_items
from rmbench.feedback.store import SESSION_RE, ClickStore, DuplicateClick
from rmbench.jsonlimits import JSONLimitError, loads_bounded

MAX_BODY = 2048  # a click is ~120 bytes of JSON; anything bigger is not a click
MAX_DEPTH = 4  # a click is one flat object: deeper nesting is never a click
HOST = "127.0.0.1"  # local only: the page is for people at this machine (or an SSH tunnel)
LISTEN_QUEUE = 1024  # connections the kernel queues while every thread is busy (a burst of clicks)
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".json": "application/json; charset=utf-8"}


def parse_click(body: bytes, known_items: set[str]) -> tuple[str, str, str]:
    """(session, item_id, choice) or ValueError with what is wrong."""
    try:
        data = loads_bounded(body, max_bytes=MAX_BODY, max_depth=MAX_DEPTH)
    except JSONLimitError as e:
        raise ValueError(f"body is not a click: {e}") from None
    if not isinstance(data, dict) or set(data) != {"session", "item_id", "choice"}:
        raise ValueError("expected exactly the keys session, item_id, choice")
    session, item, choice = data["session"], data["item_id"], data["choice"]
    if not isinstance(session, str) or not SESSION_RE.fullmatch(session):
        raise ValueError("session must be 8-64 characters of A-Z a-z 0-9 _ -")
    if not isinstance(item, str) or item not in known_items:
        raise ValueError("unknown item_id")
    if choice not in ("A", "B"):
        raise ValueError("choice must be 'A' or 'B'")
    return session, item, choice


class FeedbackServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = LISTEN_QUEUE  # the listen(2) backlog (socketserver's default is 5)

    def __init__(self, page_dir: str | Path, port: int = 0):
        self.page_dir = Path(page_dir)
        self.items = {it["item_id"] for it in load_items(self.page_dir)}
        self.store = ClickStore(db_path(self.page_dir))
        super().__init__((HOST, port), Handler)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}/"


class Handler(BaseHTTPRequestHandler):
    server: FeedbackServer
    server_version = "rmbench-feedback"
    timeout = 10  # seconds: a client that announces a body and never sends it loses its thread, not ours

    def log_message(self, fmt, *args):  # silent: every click is in the store; per-request stderr helps no one
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

    # -- routing: path -> handler method (add a page or an endpoint here) -------------------
    GET = {"/": "page_file", "/favicon.ico": "favicon", **{f"/{n}": "page_file" for n in PUBLIC_FILES}}
    POST = {"/api/click": "click"}

    def _route(self, table: dict) -> None:
        if not self._host_ok():
            return self._json(HTTPStatus.FORBIDDEN, {"error": "wrong Host header: use the URL this server printed"})
        name = table.get(self.path.split("?", 1)[0])
        if name is None:
            return self._json(HTTPStatus.NOT_FOUND, {"error": "not found"})
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

    # -- handlers --------------------------------------------------------------------------
    def favicon(self):  # browsers ask for it; an empty answer keeps the console clean
        self._send(HTTPStatus.NO_CONTENT, b"", "image/x-icon")

    def page_file(self):
        name = self.path.split("?", 1)[0].lstrip("/") or "index.html"
        path = self.server.page_dir / name
        self._send(HTTPStatus.OK, path.read_bytes(), TYPES[path.suffix])

    def click(self):
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/json":
            return self._json(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, {"error": "send application/json"})
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            return self._json(HTTPStatus.LENGTH_REQUIRED, {"error": "Content-Length required"})
        if length < 0 or length > MAX_BODY:
            self.close_connection = True  # do not read an oversized body
            return self._json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": f"body over {MAX_BODY} bytes"})
        try:
            session, item, choice = parse_click(self.rfile.read(length), self.server.items)
        except ValueError as e:
            return self._json(HTTPStatus.BAD_REQUEST, {"error": str(e)})
        try:
            click_id = self.server.store.add(session, item, choice)
        except DuplicateClick as e:
            return self._json(HTTPStatus.CONFLICT, {"error": str(e)})
        except (sqlite3.Error, OSError) as e:  # a full disk, say: the click is not stored, and says so
            return self._json(HTTPStatus.SERVICE_UNAVAILABLE, {"error": f"the click was not stored ({e}); try again"})
        self._json(HTTPStatus.CREATED, {"stored": click_id})


def start_in_thread(page_dir: str | Path, port: int = 0) -> tuple[FeedbackServer, threading.Thread]:
    """Serve in a daemon thread (tests, notebooks); stop with ``server.shutdown()``."""
    server = FeedbackServer(page_dir, port)
    thread = threading.Thread(target=server.serve_forever, name="rmbench-feedback", daemon=True)
    thread.start()
    return server, thread
