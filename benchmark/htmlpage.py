"""Markdown made into one self-contained HTML page: the project's one Markdown renderer.

Who uses it: a run's ``report.html`` (beside ``report.md``, from the same text: the two never
disagree), the sweep's ``sweep.html`` and the leaderboard's how-to page.

- CommonMark with tables; raw HTML in the text is escaped, never passed through (a model or
  task name is user input) and unsafe link schemes are refused (markdown-it's own check).
- An image whose path is relative and lies inside the report's folder is inlined as a
  ``data:`` URI, so the page can be mailed, uploaded or opened from an archive without its
  plots/ folder. Anything else (an absolute path, ``../``, a URL, a missing file, a type that
  is not an image) stays a plain link, and the page says which images it could not inline.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
               ".webp": "image/webp", ".svg": "image/svg+xml"}
# An inlined image is read whole into the page: one larger than this stays a link.
MAX_INLINE_BYTES = 8 << 20

# Images at their own size up to the page's width: a run's figures are drawn for about 800 px at
# 1:1 (rmbench.eval.plots_run); a 760 px cap shrank their 7-point labels, and an older run's
# 1,537 px accuracy.png to half size.
STYLE = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2330;
       margin: 0 auto; padding: .5rem 1.5rem 3rem; max-width: 1800px; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 1.6rem; }
blockquote { background: #fff1d6; color: #5c3a00; margin: .6rem 0; padding: .4rem 1rem; border-radius: 4px; }
table { border-collapse: collapse; margin: .4rem 0 1rem; font-variant-numeric: tabular-nums;
        font-size: .85rem; display: block; overflow-x: auto; max-width: 100%; }
th, td { border-bottom: 1px solid #d9dee7; padding: .3rem .45rem; white-space: nowrap; }
thead th { background: #f5f7fb; white-space: normal; vertical-align: bottom; }
tbody tr:hover { background: #f5f7fb; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .9em; }
img { max-width: 100%; height: auto; border: 1px solid #d9dee7; margin: .3rem .5rem .3rem 0; }
.missing { color: #8a1f11; }
"""


def _md(env_dir: Path | None):
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    if env_dir is not None:
        md.add_render_rule("image", _inline_image)
    return md


def markdown_to_html(text: str) -> str:
    """CommonMark with tables, raw HTML escaped and unsafe link schemes refused (no page around it)."""
    return _md(None).render(text)


def _local_image(src: str, base: Path) -> Path | None:
    """The file ``src`` names inside ``base``, or None (a URL, absolute, outside, missing, too big)."""
    if not src or "://" in src or src.startswith(("/", "data:", "#")) or "\\" in src:
        return None
    try:
        path = (base / src).resolve()
        path.relative_to(base.resolve())
    except (ValueError, OSError):
        return None
    if path.suffix.lower() not in IMAGE_TYPES or not path.is_file() or path.stat().st_size > MAX_INLINE_BYTES:
        return None
    return path


def _inline_image(self, tokens, idx, options, env):
    token = tokens[idx]
    src = token.attrGet("src") or ""
    path = _local_image(src, env["base"])
    if path is None:
        env["not_inlined"].append(src)
    else:
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        token.attrSet("src", f"data:{IMAGE_TYPES[path.suffix.lower()]};base64,{data}")
    return self.image(tokens, idx, options, env)


def page(markdown_text: str, title: str, base_dir: str | Path) -> str:
    """The whole page: ``markdown_text`` rendered, its local images inlined, a stylesheet, no
    other file fetched."""
    env = {"base": Path(base_dir), "not_inlined": []}
    body = _md(Path(base_dir)).render(markdown_text, env)
    if env["not_inlined"]:
        names = ", ".join(f"<code>{html.escape(s)}</code>" for s in env["not_inlined"])
        body += f'<p class="missing">Not inlined (not a readable image inside this folder): {names}</p>\n'
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<title>{html.escape(title)}</title>\n<link rel="icon" href="data:,">\n'
            f"<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n")


def write_page(markdown_text: str, title: str, path: str | Path) -> Path:
    """``page`` written atomically to ``path``, its images looked up beside it."""
    from rmbench.atomic import write_text

    path = Path(path)
    write_text(path, page(markdown_text, title, path.parent))
    return path


def write_markdown_and_page(md_path: str | Path, text: str, title: str) -> list[Path]:
    """``text`` to ``md_path`` and as a page beside it (same name, ``.html``), both atomically:
    every report rmbench writes comes as this pair, so the two never disagree."""
    from rmbench.atomic import write_text

    md_path = Path(md_path)
    write_text(md_path, text)
    return [md_path, write_page(text, title, md_path.with_suffix(".html"))]


__all__ = ["markdown_to_html", "page", "write_markdown_and_page", "write_page"]
