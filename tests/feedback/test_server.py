"""The click server: stores a click once, rejects bad requests without touching the store,
never serves private files; export turns clicks into prepared pairs."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from rmbench.feedback.page import load_items, load_provenance
from rmbench.feedback.server import MAX_BODY, db_path, start_in_thread
from rmbench.feedback.store import ClickStore, DuplicateClick

SESSION = "session-0001"


@pytest.fixture
def served(tmp_path, write_demo_page):
    page = write_demo_page(tmp_path / "page")
    server, thread = start_in_thread(page, port=0)
    yield page, server
    server.shutdown()
    server.server_close()
    thread.join(5)


def click_body(item_id, choice="A", session=SESSION, rater=None) -> bytes:
    """A vote as the page sends it; the rater is the session's name unless given."""
    return json.dumps({"rater": rater or session, "session": session, "item_id": item_id, "choice": choice}).encode()


def test_server_binds_loopback_only(served):
    _, server = served
    assert server.server_address[0] == "127.0.0.1"


def test_click_stored_once_and_double_submit_rejected(served, post):
    page, server = served
    item = load_items(page)[0]["item_id"]
    url = server.url + "api/click"
    assert post(url, click_body(item, "B"))[0] == 201
    status, body = post(url, click_body(item, "A"))
    assert status == 409 and "already" in body["error"]
    clicks = ClickStore(db_path(page)).clicks()
    assert [(c.session, c.item_id, c.choice) for c in clicks] == [(SESSION, item, "B")]


def _vote(**kw) -> bytes:
    return json.dumps({"rater": "ada", "session": SESSION, "item_id": "ITEM", "choice": "A", **kw}).encode()


@pytest.mark.parametrize("body,ctype,status", [
    (b"not json", "application/json", 400),
    (b"[1, 2]", "application/json", 400),
    (_vote(item_id="nope"), "application/json", 400),
    (_vote(session="x"), "application/json", 400),
    (_vote(choice="C"), "application/json", 400),
    (_vote(choice="a"), "application/json", 400),
    (_vote(x=1), "application/json", 400),
    (_vote(rater=""), "application/json", 400),
    (_vote(rater="  "), "application/json", 400),
    (_vote(rater="<script>"), "application/json", 400),
    (_vote(rater="a" * 65), "application/json", 400),
    (_vote(rater=7), "application/json", 400),
    (json.dumps({"session": SESSION, "item_id": "ITEM", "choice": "A"}).encode(), "application/json", 400),  # no rater
    (b"\xff\xfe", "application/json", 400),
    (b"session=x", "application/x-www-form-urlencoded", 415),
    (b"{" + b" " * (MAX_BODY + 10) + b"}", "application/json", 413),
])
def test_malformed_requests_rejected_without_touching_store(served, body, ctype, status, post):
    page, server = served
    item = load_items(page)[0]["item_id"]
    body = body.replace(b"ITEM", item.encode())
    assert post(server.url + "api/click", body, ctype)[0] == status
    store = ClickStore(db_path(page))
    assert store.clicks() == [] and store.integrity_ok()


def test_only_public_files_are_served(served, get):
    page, server = served
    assert get(server.url)[0] == 200
    assert get(server.url + "items.json")[0] == 200
    for path in ("private/provenance.json", "private/clicks.sqlite", "../page/private/provenance.json", "%2e%2e/x"):
        assert get(server.url + path)[0] == 404, path


def test_store_unique_constraint_holds_without_server(tmp_path):
    store = ClickStore(tmp_path / "c.sqlite")
    store.add(SESSION, "item1", "A")
    with pytest.raises(DuplicateClick):
        store.add(SESSION, "item1", "B")
    with pytest.raises(ValueError):
        store.add(SESSION, "item2", "Z")
    assert len(store.clicks()) == 1 and store.integrity_ok()


def test_export_round_trip_and_agreement(served, tmp_path, post):
    from rmbench.prepared.load import load_prepared
    from rmbench.prepared.manifest import read_manifest
    from rmbench.feedback.cli import feedback_group

    page, server = served
    prov = load_provenance(page)
    items = load_items(page)
    # Person 1 always picks the agent; person 2 agrees on the first two items only, then picks the generator.
    for k, it in enumerate(items):
        agent_side = "A" if prov["items"][it["item_id"]]["A"]["model"] == "agent" else "B"
        other = "B" if agent_side == "A" else "A"
        assert post(server.url + "api/click", click_body(it["item_id"], agent_side, "person-one"))[0] == 201
        if k < 3:
            choice = agent_side if k < 2 else other  # item 2: a tie (one vote each)
            assert post(server.url + "api/click", click_body(it["item_id"], choice, "person-two"))[0] == 201
    out = tmp_path / "human"
    result = CliRunner().invoke(feedback_group, ["export", "--dir", str(page), "--out", str(out), "--all-test"])
    assert result.exit_code == 0, result.output
    assert "tied_votes" in result.output and "Agreement with the evaluator" in result.output
    ds = load_prepared(out, "human-feedback")
    assert len(ds["test"]) == len(items) - 1 and len(ds["train"]) == 0
    models = {json.loads(line)["pair_id"]: json.loads(line) for line in (out / "human-feedback" / "models.jsonl").open()}
    assert all(m["chosen_model"] == "agent" for m in models.values())
    row = ds["test"][0]
    assert row["chosen"].startswith("The lamp") and row["chosen_score"] >= 1
    entry = read_manifest(out)["tasks"]["human-feedback"]
    # Evaluator prefers the agent on even prompt numbers only; count agreeing clicks by hand.
    clicks = ClickStore(db_path(page)).clicks()
    expected = 0
    for c in clicks:
        p = prov["items"][c.item_id]
        expected += p[c.choice]["reward"] > p["B" if c.choice == "A" else "A"]["reward"]
    assert entry["agreement_with_evaluator"]["clicks"] == len(clicks)
    assert entry["agreement_with_evaluator"]["fraction"] == pytest.approx(expected / len(clicks))
    assert entry["clicks"]["dropped"] == {"tied_votes": 1}


def test_exported_pairs_are_a_task_rmbench_evaluate_scores(tmp_path, write_demo_page, tiny_bert_dir):
    from rmbench.cli import main
    from rmbench.feedback.export import export_feedback

    page = write_demo_page(tmp_path / "page", n=4)
    store = ClickStore(db_path(page))
    for it in load_items(page):
        store.add(SESSION, it["item_id"], "A")
    export_feedback(str(page), str(tmp_path / "human"), all_test=True)
    model = tiny_bert_dir(tmp_path / "rm")
    result = CliRunner().invoke(main, ["evaluate", "--model", str(model), "--data", str(tmp_path / "human"),
                                       "--tasks", "human-feedback", "--out", str(tmp_path / "ev")])
    assert result.exit_code == 0, result.output
    res = json.loads((tmp_path / "ev" / "results.json").read_text())
    assert res["results"]["human-feedback"]["splits"]["test"]["n"] == 4
    # no pairing rule orders people's votes in time: no "by construction" footnote or star (issue 25)
    report = (tmp_path / "ev" / "report.md").read_text()
    assert "by construction" not in report and "later*" not in report and "random is its expectation" in report
    assert res["synthetic_data"] is True  # the page came from the demo corpus (its meta says so)


def test_export_command_overwrites_only_an_earlier_export_and_never_the_page(tmp_path, write_demo_page):
    from rmbench.feedback.cli import feedback_group
    from rmbench.prepared.manifest import read_manifest

    page = write_demo_page(tmp_path / "page", n=4)
    store = ClickStore(db_path(page))
    for it in load_items(page):
        store.add(SESSION, it["item_id"], "A")

    def export(out, *args):
        return CliRunner().invoke(feedback_group, ["export", "--dir", str(page), "--out", str(out), "--all-test", *args])

    res = export(page, "--overwrite")
    assert res.exit_code != 0 and "page directory itself" in res.output
    assert len(ClickStore(db_path(page)).clicks()) == 4 and (page / "items.json").is_file()
    out = tmp_path / "human"
    assert export(out).exit_code == 0
    res = export(out)
    assert res.exit_code != 0 and "--overwrite" in res.output
    store.add("session-0002", load_items(page)[0]["item_id"], "A")
    res = export(out, "--overwrite")
    assert res.exit_code == 0, res.output
    assert read_manifest(out)["tasks"]["human-feedback"]["clicks"]["seen"] == 5
    foreign = tmp_path / "elsewhere"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    res = export(foreign, "--overwrite")
    assert res.exit_code != 0 and "refusing to replace" in res.output
    assert sorted(p.name for p in foreign.iterdir()) == ["keep.txt"]


# -- hardening (issue 12) ---------------------------------------------------------------------------
def _raw_post(server, body: bytes, host: str | None = None) -> int:
    import http.client

    # A generous timeout: a burst of fsync'd clicks on a loaded CI machine is slow, never reset.
    conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=120)
    conn.putrequest("POST", "/api/click", skip_host=True)
    if host is not None:
        conn.putheader("Host", host)
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body)
    status = conn.getresponse().status
    conn.close()
    return status


@pytest.mark.parametrize("host,status", [("evil.example:{port}", 403), ("127.0.0.1", 403), ("127.0.0.1:1", 403),
                                         (None, 403), ("localhost:{port}", 201), ("127.0.0.1:{port}", 201)])
def test_only_this_servers_host_may_post(served, host, status):
    page, server = served
    item = load_items(page)[0]["item_id"]
    host = host.format(port=server.server_address[1]) if host else None
    assert _raw_post(server, click_body(item), host) == status
    assert len(ClickStore(db_path(page)).clicks()) == (1 if status == 201 else 0)


@pytest.mark.parametrize("body", [b"[" * 1000 + b"]" * 1000, b'{"session": ' + b"[" * 600 + b"]" * 600 + b"}",
                                  b'{"rater": "r", "session": "session-0001\\n", "item_id": "ITEM", "choice": "A"}',
                                  b'{"rater": "r", "session": "session-0001", "item_id": "ITEM ", "choice": "A"}',
                                  b'{"rater": "r", "session": "session-0001", "item_id": "ITEM", "choice": "A", "n": NaN}'])
def test_deep_bodies_and_almost_ids_are_a_400_not_a_dropped_connection(served, post, body):
    page, server = served
    item = load_items(page)[0]["item_id"]
    status, answer = post(server.url + "api/click", body.replace(b"ITEM", item.encode()))
    assert status == 400 and "error" in answer
    assert ClickStore(db_path(page)).clicks() == []


def _burst(server, page, n: int, first: int = 0) -> list[tuple[int, str, str]]:
    """n clients connect at once (a barrier), each posts one click; (status, session, item) each."""
    import threading

    items = [it["item_id"] for it in load_items(page)]
    start = threading.Barrier(n)
    out: list = [None] * n

    def client(i: int) -> None:
        session = f"soak-{first + i:06d}"
        item = items[i % len(items)]
        start.wait()
        try:
            out[i] = (_raw_post(server, click_body(item, "AB"[i % 2], session), f"127.0.0.1:{server.server_address[1]}"),
                      session, item)
        except OSError as e:  # a reset or refused connection
            out[i] = (type(e).__name__, session, item)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    return out


def test_a_burst_of_200_concurrent_clicks_is_stored_with_none_reset(served):
    page, server = served
    results = _burst(server, page, 200)
    assert [r[0] for r in results].count(201) == 200, sorted({str(r[0]) for r in results})
    store = ClickStore(db_path(page))
    assert len(store.clicks()) == 200 and store.integrity_ok()


def test_soak_every_acknowledged_click_is_stored_exactly_once(served):
    """Rounds of concurrent clients, each click sent twice: 201 once, 409 the second time."""
    page, server = served
    acknowledged = []
    for k in range(3):
        first = _burst(server, page, 60, first=60 * k)
        again = _burst(server, page, 60, first=60 * k)  # the same sessions and items: duplicates now
        assert [r[0] for r in first].count(201) == 60 and [r[0] for r in again].count(409) == 60
        acknowledged += [(s, it) for status, s, it in first + again if status == 201]
    stored = [(c.session, c.item_id) for c in ClickStore(db_path(page)).clicks()]
    assert sorted(stored) == sorted(acknowledged) and len(set(stored)) == len(stored) == 180
    assert ClickStore(db_path(page)).integrity_ok()
