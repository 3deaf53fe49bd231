"""``rmbench leaderboard build``: the static site, written atomically.

The site is built in a temporary folder beside ``--out`` and swapped in with renames, so a
host serving ``--out`` never sees half a site. An existing ``--out`` is only replaced when
it carries the marker file of an earlier build: the build never deletes a folder it did
not make.
"""

from __future__ import annotations

import re
from pathlib import Path

from rmbench.atomic import atomic_dir

from rmbench.leaderboard.pages import contributing_page, detail_page, index_page
from rmbench.leaderboard.ranking import Board
from rmbench.errors import LeaderboardError
from rmbench.htmlpage import markdown_to_html

MARKER = ".rmbench-site"
FALLBACK_HOWTO = """# Submitting to the leaderboard

This copy of rmbench has no CONTRIBUTING.md. In short:

```bash
rmbench run --holdout TASK --out runs/mine      # or: rmbench evaluate --model PATH --out runs/mine
rmbench submit runs/mine --name my-model --organization "My lab" --url https://example.org
rmbench leaderboard validate
```

then open a pull request with the new `leaderboard/submissions/my-model.json`.
"""




def submitting_section(text: str) -> str:
    """The CONTRIBUTING.md section whose heading mentions the leaderboard, or the whole file."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"(#{1,6})\s+(.*)", line)
        if m and "leaderboard" in m.group(2).lower():
            level = len(m.group(1))
            end = next((j for j in range(i + 1, len(lines))
                        if re.match(rf"#{{1,{level}}}\s", lines[j])), len(lines))
            return "\n".join(["# " + m.group(2), *lines[i + 1:end]]) + "\n"
    return text


def build_site(board: Board, out: Path, contributing: Path | None, board_dir: Path | None = None) -> dict[str, int]:
    """Write the site into ``out`` (``rmbench.atomic``'s rule: only a site an earlier build made is replaced)."""
    from rmbench.atomic import MARKER as OUTPUT_MARKER, read_marker, write_json

    out = out.resolve()
    empty = out.is_dir() and not any(out.iterdir())  # nothing in it to lose
    if out.exists() and not empty and not (out / MARKER).is_file():
        raise LeaderboardError(f"{out} exists and was not built by `rmbench leaderboard build`; "
                               "choose an empty or new --out")
    if not empty and out.is_dir() and read_marker(out) is None:  # built before outputs carried markers: its own MARKER says ours
        write_json(out / OUTPUT_MARKER, {"command": "leaderboard build", "adopted": "site built by an earlier rmbench"})
    with atomic_dir(out, overwrite=True, owned=lambda d: (d / MARKER).is_file(), what="leaderboard site",
                    command="leaderboard build", inputs=[board_dir] if board_dir else []) as tmp:
        (tmp / MARKER).write_text("built by rmbench leaderboard build\n")
        (tmp / "index.html").write_text(index_page(board.tracks, board.rows), encoding="utf-8")
        text = contributing.read_text(encoding="utf-8") if contributing and contributing.is_file() else FALLBACK_HOWTO
        text = submitting_section(text)
        (tmp / "how-to-submit.html").write_text(contributing_page(markdown_to_html(text)), encoding="utf-8")
        (tmp / "s").mkdir()
        pages = 0
        for track_name, rows in board.rows.items():
            for row in rows:
                sub = board.submissions[row.name]
                (tmp / "s" / f"{row.name}.html").write_text(detail_page(sub, row, board.tracks[track_name]),
                                                           encoding="utf-8")
                pages += 1
    return {"submissions": pages, "tracks": len(board.rows)}
