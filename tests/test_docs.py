"""The docs hold together: README.md stays a front door (at most 250 lines), and every relative
link and image in README.md and docs/*.md points at a file or folder that exists."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MAX_README_LINES = 250

FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
INLINE_CODE = re.compile(r"`[^`\n]*`")
MARKDOWN_LINK = re.compile(r"!?\[(?:[^\]\n]|\][^(])*?\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'][^\"']*[\"'])?\s*\)")
HTML_LINK = re.compile(r"<(?:img|a|source)\b[^>]*?\b(?:src|href)\s*=\s*[\"']([^\"']+)[\"']", re.I)
REFERENCE = re.compile(r"^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.M)


def links(text: str) -> list[str]:
    """Every link and image target outside code (fenced blocks and inline code)."""
    text = INLINE_CODE.sub("", FENCE.sub("", text))
    return [m.group(1) for pattern in (MARKDOWN_LINK, HTML_LINK, REFERENCE) for m in pattern.finditer(text)]


def is_relative(target: str) -> bool:
    return not re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) and not target.startswith(("#", "//"))


def test_the_docs_folder_exists():
    assert len(PAGES) > 1, "docs/*.md missing"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_and_image_points_at_a_file(page):
    broken = []
    for target in links(page.read_text(encoding="utf-8")):
        if not is_relative(target):
            continue
        path = target.split("#", 1)[0].split("?", 1)[0]
        if not (page.parent / path).exists():
            broken.append(target)
    assert broken == [], f"{page.relative_to(ROOT)}: links to missing files: {broken}"


def test_readme_is_a_front_door():
    lines = len((ROOT / "README.md").read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_README_LINES, f"README.md has {lines} lines; move the detail into docs/"


def test_the_checker_finds_links_and_ignores_code():
    text = ("[a](docs/a.md) ![b](samples/b.jpg \"title\") [c](#anchor) [d](https://x.org/y)\n"
            "<img src=\"c.png\" width=\"9\"> `[e](not-a-link.md)`\n```\n[f](in-a-fence.md)\n```\n[g]: ref.md\n")
    assert sorted(links(text)) == sorted(["docs/a.md", "samples/b.jpg", "#anchor", "https://x.org/y", "c.png", "ref.md"])
    assert sorted(t for t in links(text) if is_relative(t)) == sorted(["docs/a.md", "samples/b.jpg", "c.png", "ref.md"])
