"""/admin and /api/rater: the admin view answers only this machine (never a request a local
proxy forwarded), shows votes per item, raters and agreement, and counts refused requests."""

from __future__ import annotations

import http.client
import json

import pytest

from rmbench.feedback.page import load_items
from rmbench.feedback.server import start_in_thread


@pytest.fixture
def served(tmp_path, write_demo_page):
    page = write_demo_page(tmp_path / "page", n=3)
    server, thread = start_in_thread(page, port=0)
    yield page, server
    server.shutdown()
    server.server_close()
    thread.join(5)


def _request(server, method: str, path: str, body: dict | None = None, headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=30)
    data = json.dumps(body).encode() if body is not None else None
    conn.request(method, path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
    r = conn.getresponse()
    status, raw = r.status, r.read()
    conn.close()
    return status, raw


def _vote(server, rater, item, choice, session="browser-0001"):
    return _request(server, "POST", "/api/click", {"rater": rater, "session": session, "item_id": item, "choice": choice})[0]


@pytest.mark.parametrize("header", ["X-Forwarded-For", "Forwarded", "X-Real-IP", "X-Forwarded-Host"])
def test_admin_refuses_forwarded_requests(served, header):
    _, server = served
    for path in ("/admin", "/admin.json"):
        status, _ = _request(server, "GET", path, headers={header: "203.0.113.9"})
        assert status == 403
    assert server.rejected["admin_not_local"] == 2


def test_admin_shows_votes_raters_and_agreement(served):
    page, server = served
    ids = [it["item_id"] for it in load_items(page)]
    assert _vote(server, "Ada", ids[0], "A") == 201
    assert _vote(server, "bob", ids[0], "A", "browser-0002") == 201
    assert _vote(server, "bob", ids[1], "skip", "browser-0002") == 201
    assert _vote(server, "ada", ids[0], "B") == 409
    assert _vote(server, "ada", ids[1], "maybe") == 400
    status, raw = _request(server, "GET", "/admin.json")
    doc = json.loads(raw)
    assert status == 200 and doc["votes"] == 3 and set(doc["raters"]) == {"ada", "bob"}
    assert [r["A"] for r in doc["per_item"]] == [2, 0, 0] and doc["per_item"][1]["skip"] == 1
    assert doc["agreement"]["items"] == 1 and doc["agreement"]["percent_agreement"] == 1.0
    assert doc["rejected_requests"] == {"bad_request": 1, "duplicate_vote": 1}
    status, raw = _request(server, "GET", "/admin")
    assert status == 200 and b"<td>ada</td>" in raw and b"Krippendorff" in raw


def test_rater_endpoint_normalises_and_lists_answered_items(served):
    page, server = served
    ids = [it["item_id"] for it in load_items(page)]
    assert _vote(server, "Ada", ids[2], "tie") == 201
    status, raw = _request(server, "POST", "/api/rater", {"rater": "  ADA "})
    assert status == 200 and json.loads(raw) == {"rater": "ada", "answered": [ids[2]]}
    assert _request(server, "POST", "/api/rater", {"rater": "<img>"})[0] == 400
    assert _request(server, "POST", "/api/rater", {"rater": "ada", "extra": 1})[0] == 400


def test_serve_stops_on_sigterm_and_reports_refused_requests(tmp_path, write_demo_page, post):
    """The command itself: a refused request is counted and printed when it stops (SIGTERM as Ctrl-C)."""
    import os
    import re
    import signal
    import subprocess
    import sys

    page = write_demo_page(tmp_path / "page", n=2)
    proc = subprocess.Popen([sys.executable, "-m", "rmbench.cli", "feedback", "serve", "--dir", str(page), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "NO_COLOR": "1"})
    try:
        url = re.search(r"http://127\.0\.0\.1:\d+/", proc.stdout.readline()).group(0)
        assert post(url + "api/click", b"not json")[0] == 400
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "Refused requests: bad_request 1" in err
