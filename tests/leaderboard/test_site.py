"""`rmbench leaderboard build`: a self-contained static site, checked as files and in Chromium."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from click.testing import CliRunner

from rmbench.leaderboard.cli import leaderboard_group
from rmbench.leaderboard.site import markdown_to_html, submitting_section
from rmbench.atomic import write_json

CONTRIBUTING = """# Contributing

## Submitting to the leaderboard

Run `rmbench submit runs/x --name my-model`.

| step | command |
|---|---|
| check | `rmbench leaderboard validate` |

<script>alert("md")</script> [bad](javascript:alert(1))
"""


@pytest.fixture
def site(tmp_path, make_board, make_results, make_submission, tiny_png):
    board, manifest = make_board(tmp_path)
    png = tiny_png((20, 120, 40), size=(40, 30))
    plot = {"learning_curve.png": {"sha256": hashlib.sha256(png).hexdigest(), "bytes": len(png),
                                   "png_base64": base64.b64encode(png).decode()}}
    for name, correct, kind, org in [("strong-rm", 160, "reward_model", "Lab <script>alert(1)</script>"),
                                     ("weak-rm", 110, "reward_model", None),
                                     ("baseline-longer", 110 - 0, "baseline", None)]:
        res = make_results(manifest, ["writingprompts"], correct={"writingprompts": {"test": correct}},
                           kind=kind, model_id="baseline:longer" if kind == "baseline" else name,
                           parameters=0 if kind == "baseline" else 22713601)
        sub = make_submission(name, res, plots=plot if name == "strong-rm" else None)
        sub["organization"] = org
        write_json(board / "submissions" / f"{name}.json", sub)
    (tmp_path / "CONTRIBUTING.md").write_text(CONTRIBUTING)
    out = tmp_path / "site"
    res = CliRunner().invoke(leaderboard_group, ["build", "--out", str(out), "--leaderboard-dir", str(board),
                                                 "--contributing", str(tmp_path / "CONTRIBUTING.md")])
    assert res.exit_code == 0, res.output
    return out


def test_site_has_every_page_and_fetches_nothing(site):
    assert (site / "index.html").is_file() and (site / "how-to-submit.html").is_file()
    assert sorted(p.name for p in (site / "s").iterdir()) == ["baseline-longer.html", "strong-rm.html", "weak-rm.html"]
    for page in site.rglob("*.html"):
        text = page.read_text()
        # self-contained: nothing fetched from elsewhere (links people click are fine)
        assert not re.search(r'src="(?!data:)', text), page
        assert not re.search(r"<link[^>]*href=\"(?!data:)", text), page
        assert "url(" not in text and "@import" not in text, page


def test_a_submission_page_shows_accuracy_by_vote_margin_recomputed(site):
    page = (site / "s" / "strong-rm.html").read_text()
    assert "<h2>Accuracy by vote margin</h2>" in page
    cells = re.findall(r'<tr><td class="text">writingprompts/(\w+)</td><td class="text">([^<]+)</td><td>(\d+) \((\d+)\)', page)
    assert cells and {split for split, *_ in cells} <= {"heldout_all", "heldout_all_hard", "test", "test_hard"}
    # the buckets of a split hold at most its pairs (pairs without a score ratio are in none)
    n_test = int(re.search(r'<td class="text">test</td><td>(\d+)</td>', page).group(1))
    assert 0 < sum(int(n) for split, _, n, _ in cells if split == "test") <= n_test


def test_submission_text_is_escaped(site):
    detail = (site / "s" / "strong-rm.html").read_text()
    assert "<script>alert(1)</script>" not in detail and "&lt;script&gt;alert(1)&lt;/script&gt;" in detail
    assert "data:image/png;base64," in detail and 'href="https://example.org/model"' in detail


def test_how_to_submit_renders_markdown_safely(site):
    page = (site / "how-to-submit.html").read_text()
    assert "<h1>Submitting to the leaderboard</h1>" in page and "<table>" in page
    assert "Contributing" not in page  # only the submitting section, not the whole guide
    assert '<script>alert("md")</script>' not in page and 'href="javascript:' not in page


def test_without_a_leaderboard_section_the_whole_file_is_used():
    assert submitting_section("# A\n\ntext\n") == "# A\n\ntext\n"
    assert submitting_section("# A\n## Leaderboard\nx\n### sub\ny\n## Next\nz\n") == "# Leaderboard\nx\n### sub\ny\n"


def test_markdown_refuses_raw_html():
    assert "<b>" not in markdown_to_html("<b>x</b>")


def test_rebuild_replaces_the_site_but_never_a_foreign_folder(site, tmp_path):
    board = tmp_path / "leaderboard"
    (board / "submissions" / "weak-rm.json").unlink()
    res = CliRunner().invoke(leaderboard_group, ["build", "--out", str(site), "--leaderboard-dir", str(board)])
    assert res.exit_code == 0, res.output
    assert not (site / "s" / "weak-rm.html").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".site.")]  # no temp or old folders left
    foreign = tmp_path / "precious"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    res = CliRunner().invoke(leaderboard_group, ["build", "--out", str(foreign), "--leaderboard-dir", str(board)])
    assert res.exit_code != 0 and (foreign / "keep.txt").read_text() == "mine"
    # an existing empty folder holds nothing to lose: the site is built into it, as its error advises
    empty = tmp_path / "empty"
    empty.mkdir()
    res = CliRunner().invoke(leaderboard_group, ["build", "--out", str(empty), "--leaderboard-dir", str(board)])
    assert res.exit_code == 0, res.output
    assert (empty / "index.html").is_file()


def _order(page):
    return page.eval_on_selector_all("table.sortable tbody tr", "rows => rows.map(r => r.dataset.name)")


@pytest.mark.browser
def test_site_in_a_real_browser(site, browser, artifacts_dir):
    page = browser.new_page(viewport={"width": 1400, "height": 700})
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((site / "index.html").as_uri())
    assert _order(page) == ["strong-rm", "weak-rm", "baseline-longer"]  # ranked, then the unranked baseline
    page.click('th[data-key="model"]')
    assert _order(page) == ["baseline-longer", "strong-rm", "weak-rm"]
    page.click('th[data-key="model"]')
    assert _order(page) == ["weak-rm", "strong-rm", "baseline-longer"]
    page.click('th[data-key="mean"]')  # the score: best first
    assert _order(page)[0] == "strong-rm"
    page.screenshot(path=str(artifacts_dir / "leaderboard_index.png"), full_page=True)
    page.click("text=strong-rm")
    page.wait_for_load_state()
    assert page.url.endswith("/s/strong-rm.html")
    assert page.inner_text("h1") == "strong-rm"
    assert page.eval_on_selector(".plots img", "img => img.naturalWidth") == 40  # the embedded PNG decoded
    page.screenshot(path=str(artifacts_dir / "leaderboard_detail.png"), full_page=True)
    page.click("text=How to submit")
    assert "Submitting to the leaderboard" in page.inner_text("main")
    assert errors == []
    page.close()
