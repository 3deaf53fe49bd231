"""rmbench.htmlpage: Markdown reports as one self-contained page."""

from __future__ import annotations

import base64
import re

import pytest

from rmbench.htmlpage import markdown_to_html, page, write_page

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def _srcs(html: str) -> list[str]:
    return re.findall(r'<img src="([^"]*)"', html)


def test_local_images_are_inlined_byte_for_byte(tmp_path):
    (tmp_path / "plots").mkdir()
    (tmp_path / "plots" / "a.png").write_bytes(PNG)
    html = page("# t\n\n![a](plots/a.png)\n", "t", tmp_path)
    (src,) = _srcs(html)
    assert src.startswith("data:image/png;base64,")
    assert base64.b64decode(src.split(",", 1)[1]) == PNG
    assert "Not inlined" not in html


def test_images_outside_the_folder_or_missing_stay_links_and_are_named(tmp_path):
    (tmp_path / "secret.png").write_bytes(PNG)
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "notes.txt").write_text("x")
    md = ("![up](../secret.png)\n![abs](" + str(tmp_path / "secret.png") + ")\n![web](https://example.org/x.png)\n"
          "![gone](plots/missing.png)\n![text](notes.txt)\n")
    html = page(md, "t", tmp_path / "run")
    srcs = _srcs(html)
    assert not any(s.startswith("data:") for s in srcs)  # nothing outside the run's folder is read into it
    assert srcs == ["../secret.png", str(tmp_path / "secret.png"), "https://example.org/x.png", "plots/missing.png",
                    "notes.txt"]
    note = html.split('class="missing"', 1)[1]
    for s in ("../secret.png", "plots/missing.png", "notes.txt"):
        assert s in note


def test_raw_html_and_the_title_are_escaped(tmp_path):
    html = page("# model <script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n", "run: <b>m</b>", tmp_path)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html and "<title>run: &lt;b&gt;m&lt;/b&gt;</title>" in html


def test_tables_render_with_their_alignment():
    html = markdown_to_html("| a | n |\n|---|---:|\n| x | 1 |\n")
    assert "<table>" in html and '<td style="text-align:right">1</td>' in html


def test_write_page_writes_beside_its_images(tmp_path):
    (tmp_path / "p.png").write_bytes(PNG)
    out = write_page("![p](p.png)\n", "t", tmp_path / "report.html")
    assert out.read_text().count("data:image/png;base64,") == 1
    assert not [p for p in tmp_path.iterdir() if p.name not in ("p.png", "report.html")]  # no temporary left


@pytest.mark.browser
def test_a_figure_is_shown_at_its_own_width_where_the_page_has_room(tmp_path, browser):
    from PIL import Image

    # an 850 px figure (a run's accuracy.png) was squeezed to 760 px even on a 1,280 px window
    Image.new("RGB", (850, 200), "white").save(tmp_path / "wide.png")
    write_page("# r\n\n![wide](wide.png)\n", "r", tmp_path / "report.html")
    view = browser.new_page(viewport={"width": 1280, "height": 800})
    view.goto((tmp_path / "report.html").as_uri())
    shown = view.evaluate("() => document.querySelector('img').clientWidth")
    view.set_viewport_size({"width": 600, "height": 800})
    narrow = view.evaluate("() => document.querySelector('img').clientWidth")
    view.close()
    assert shown == 850 and narrow < 600  # and never wider than the window
