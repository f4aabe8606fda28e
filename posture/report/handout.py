"""The client handout: what was seen, in plain words, and what the therapist chose to give.

The therapist picks every line that goes in (nothing is ticked by default): the plain
description of each finding, the desk set-up and movement habits, and the stretches or
exercises offered with each finding (`exercises.toml`). The handout always says once to
stop anything that hurts and to see a doctor for numbness, weakness or pain that does
not ease. Text a user typed (client name, the therapist's note) is shown exactly as
typed: HTML-escaped in HTML, drawn as plain text in the PDF, never read as Markdown.

Pure: `offer` and `build` decide the content; `to_html` and `to_pdf` only lay it out.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from posture.core.assessment import Assessment
from posture.core.errors import ConfigError
from posture.core.measuring.findings import FINDING_MARGIN_SIGMAS, Finding, Severity
from posture.core.measuring.measures import Measure
from posture.report import filenames, regions
from posture.report.pdf_document import Paper, drawable, open_document

TITLE = "Your posture check: notes to take home"
#: Said once in every handout, near the top, whatever was ticked.
SAFETY = (
    "Stop any stretch or exercise that hurts. See a doctor if you notice numbness, weakness, "
    "or pain that does not ease."
)
NOT_A_DIAGNOSIS = (
    "These notes come from photos and a short posture check. They describe what was likely "
    "seen; they are not a diagnosis."
)
DESK_GROUP = "Desk set-up and everyday habits"
Kind = Literal["habit", "stretch", "exercise"]
KINDS: tuple[Kind, ...] = ("habit", "stretch", "exercise")
_SIDED = ("{side}", "{direction}")


# --- the catalogue (exercises.toml) ----------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One stretch, exercise or habit, with its one-line how-to."""

    key: str
    kind: Kind
    title: str
    how: str


@dataclass(frozen=True)
class FindingWords:
    """How a finding code is put to a client, and what is offered with it."""

    code: str
    seen: str  # may hold {side} / {direction}
    seen_any: str  # the same without a side
    meaning: str
    items: tuple[str, ...]


@dataclass(frozen=True)
class Catalogue:
    findings: dict[str, FindingWords]
    items: dict[str, Item]
    general: tuple[str, ...]


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """The packaged `exercises.toml`, or another file of the same shape."""
    where = str(path) if path is not None else "exercises.toml"
    try:
        if path is None:
            text = resources.files("posture.report").joinpath("exercises.toml").read_text(encoding="utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        data: dict[str, Any] = tomllib.loads(text)
    except FileNotFoundError:
        raise ConfigError(f"{where}: no such exercises file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where}: cannot be read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: invalid TOML ({exc})") from None
    items: dict[str, Item] = {}
    for key, table in dict(data.get("items", {})).items():
        kind = table.get("kind")
        if kind not in KINDS:
            raise ConfigError(f"{where}: [items.{key}] kind must be one of {', '.join(KINDS)}")
        title, how = str(table.get("title", "")).strip(), str(table.get("how", "")).strip()
        if not title or not how or "\n" in how:
            raise ConfigError(f"{where}: [items.{key}] needs a title and a one-line how")
        items[key] = Item(key, kind, title, how)
    findings: dict[str, FindingWords] = {}
    for code, table in dict(data.get("findings", {})).items():
        words = {k: str(table.get(k, "")).strip() for k in ("seen", "seen_any", "meaning")}
        if not all(words.values()):
            raise ConfigError(f"{where}: [findings.{code}] needs seen, seen_any and meaning")
        if any(p in words["seen_any"] for p in _SIDED):
            raise ConfigError(f"{where}: [findings.{code}] seen_any must not name a side")
        keys = tuple(str(k) for k in table.get("items", ()))
        _known(keys, items, f"{where}: [findings.{code}]")
        findings[code] = FindingWords(code, words["seen"], words["seen_any"], words["meaning"], keys)
    general = tuple(str(k) for k in data.get("general", ()))
    _known(general, items, f"{where}: general")
    return Catalogue(findings, items, general)


def _known(keys: Iterable[str], items: Mapping[str, Item], where: str) -> None:
    unknown = [k for k in keys if k not in items]
    if unknown:
        raise ConfigError(f"{where}: unknown item(s) {', '.join(unknown)}")


# --- what was seen -------------------------------------------------------------------------


@dataclass(frozen=True)
class Observed:
    """One finding as the client reads it (merged over the photos that raised it)."""

    code: str  # the finding id, e.g. "shoulder_tilt", "knee_valgus_left"
    severity: Severity
    seen: str
    meaning: str
    items: tuple[str, ...]


def catalogue_code(finding_id: str, catalogue: Catalogue) -> str | None:
    """The catalogue entry of a finding id ("knee_valgus_left" -> "knee_valgus"), if any."""
    if finding_id in catalogue.findings:
        return finding_id
    base = finding_id.rsplit("_", 1)[0]
    return base if base in catalogue.findings else None


def _placeholders(finding: Finding, measures: Mapping[str, Measure]) -> dict[str, str]:
    """{side} / {direction} for one photo's finding, by the sign conventions of
    `posture.core.measuring.findings` (positive: the subject's left is higher / the knee is inward)."""
    name = finding.measures[0] if finding.measures else ""
    m = measures.get(name)
    value = m.value if m is not None and m.value is not None else 0.0
    if finding.id.startswith("knee_valgus"):
        return {"side": "left" if name.startswith("left") else "right",
                "direction": "inward" if value > 0 else "outward"}
    return {"side": "left" if value > 0 else "right", "direction": ""}


def _agreed(fid: str, assessments: Sequence[Assessment]) -> dict[str, str] | None:
    """The side (and direction) every photo agrees on, or None. A photo that did not raise
    the finding but reads the other way beyond its 2-sigma margin is a disagreement too: the
    client is then told what was seen without a side (the summary tells the therapist why)."""
    raised = [(f, a) for a in assessments for f in a.findings if f.id == fid]
    if not raised:
        return None
    name = raised[0][0].measures[0] if raised[0][0].measures else ""
    signs: set[bool] = set()
    for a in assessments:
        m = a.measures.get(name)
        if m is None or m.value is None:
            continue
        if any(f.id == fid for f in a.findings) or abs(m.value) > FINDING_MARGIN_SIGMAS * (m.uncertainty or 0.0):
            signs.add(m.value > 0)
    words = {tuple(_placeholders(f, a.measures).items()) for f, a in raised}
    return _placeholders(raised[0][0], raised[0][1].measures) if len(signs) == 1 and len(words) == 1 else None


def observed_in(assessments: Sequence[Assessment], catalogue: Catalogue | None = None) -> list[Observed]:
    """A session's findings in plain words: one per problem however many photos show it
    (merged by `posture.report.regions.merge`), from the head down, most severe first within
    a region. A side is named only when the photos agree on it; a finding the catalogue has
    no words for is left out (it cannot be put plainly)."""
    cat = catalogue or load_catalogue()
    out: list[Observed] = []
    for group in regions.merge(assessments):
        for mf in group.findings:
            code = catalogue_code(mf.id, cat)
            if code is None or mf.severity is Severity.NONE:
                continue
            words = cat.findings[code]
            if any(p in words.seen for p in _SIDED):
                sides = _agreed(mf.id, assessments)
                seen = words.seen_any if sides is None else words.seen.format(**sides)
            else:
                seen = words.seen
            out.append(Observed(mf.id, mf.severity, seen, words.meaning, words.items))
    return out


# --- what the therapist may tick ------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    """A block of the builder: a finding with its items, or the general desk advice."""

    title: str
    finding: Observed | None
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Offer:
    groups: tuple[Group, ...]

    @property
    def item_keys(self) -> tuple[str, ...]:
        return tuple(i.key for g in self.groups for i in g.items)

    @property
    def finding_codes(self) -> tuple[str, ...]:
        return tuple(g.finding.code for g in self.groups if g.finding is not None)


def offer(found: Sequence[Observed], catalogue: Catalogue | None = None) -> Offer:
    """What the builder lists: each present finding with the items tied to it, then the
    general desk advice. An item tied to several findings is listed once, under the first."""
    cat = catalogue or load_catalogue()
    listed: set[str] = set()
    groups: list[Group] = []

    def fresh(keys: Iterable[str]) -> tuple[Item, ...]:
        new = [cat.items[k] for k in keys if k not in listed]
        listed.update(i.key for i in new)
        return tuple(new)

    for o in found:
        groups.append(Group(o.seen, o, fresh(o.items)))
    groups.append(Group(DESK_GROUP, None, fresh(cat.general)))
    return Offer(tuple(groups))


@dataclass(frozen=True)
class Handout:
    """Exactly what the client gets; built only from what was ticked."""

    client: str
    date: dt.date
    findings: tuple[Observed, ...]
    habits: tuple[Item, ...]
    exercises: tuple[Item, ...]  # stretches and exercises
    note: str = ""

    @property
    def empty(self) -> bool:
        return not (self.findings or self.habits or self.exercises or self.note.strip())


def build(offered: Offer, *, findings: Iterable[str] = (), items: Iterable[str] = (), note: str = "",
          client: str = "", date: dt.date | None = None) -> Handout:
    """The handout from the therapist's ticks. Only what the offer lists and was ticked goes in
    (a tick left over from another assessment is ignored), in the offer's order."""
    ticked_f, ticked_i = set(findings), set(items)
    chosen_f = tuple(g.finding for g in offered.groups if g.finding is not None and g.finding.code in ticked_f)
    chosen_i = [i for g in offered.groups for i in g.items if i.key in ticked_i]
    # The desk basics (screen, breaks, chair) read first; habits tied to a finding follow.
    chosen_i.sort(key=lambda i: not any(g.finding is None and i in g.items for g in offered.groups))
    return Handout(
        client=client,
        date=date or dt.date.today(),
        findings=chosen_f,
        habits=tuple(i for i in chosen_i if i.kind == "habit"),
        exercises=tuple(i for i in chosen_i if i.kind != "habit"),
        note=note,
    )


def download_name(client: str, date: dt.date, ext: str) -> str:
    """`<client>-<date>-handout.<ext>`, sanitised as the summary's download is."""
    return filenames.download_name(client, date, ext, kind="handout")


def _long_date(d: dt.date) -> str:
    return f"{d.day} {d:%B %Y}"


# --- HTML ----------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;font-size:17px;line-height:1.5;
margin:0 auto;max-width:760px;padding:20px;color:#1c1c1c}
h1{font-size:1.6em;margin:0 0 .2em}h2{font-size:1.2em;margin:1.6em 0 .4em;border-bottom:1px solid #ccc;padding-bottom:3px}
.who{color:#444;margin:0}.safety{border:2px solid #c0392b;background:#fdf0ee;border-radius:6px;padding:10px 14px;
margin:1em 0;font-weight:600}.small{color:#555;font-size:.9em}
ul{padding-left:1.2em}li{margin:.45em 0}.seen{font-weight:600}.kind{color:#555;font-size:.85em}
.note{white-space:pre-wrap;border-left:4px solid #2e86c1;background:#f3f8fc;padding:8px 12px;margin:0}
@media print{body{font-size:12pt;max-width:none;padding:0}h2{break-after:avoid}.safety,li{break-inside:avoid}}
"""


def to_html(h: Handout) -> str:
    """A self-contained page (no external resources) that prints on one or two sheets."""
    e = html.escape
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width,initial-scale=1'>",
        f"<title>{e(TITLE)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(TITLE)}</h1>",
        "<p class='who'>" + (f"For <span class='client'>{e(h.client)}</span> · " if h.client else "")
        + f"{e(_long_date(h.date))}</p>",
        f"<p class='safety'>{e(SAFETY)}</p>",
    ]
    if h.findings:
        parts.append("<h2>What we saw, and what it may mean</h2><ul>")
        parts += [f"<li><span class='seen'>{e(o.seen)}</span><br>{e(o.meaning)}</li>" for o in h.findings]
        parts.append("</ul>")
    if h.habits:
        parts.append(f"<h2>{e(DESK_GROUP)}</h2><ul>")
        parts += [f"<li><b>{e(i.title)}</b>: {e(i.how)}</li>" for i in h.habits]
        parts.append("</ul>")
    if h.exercises:
        parts.append("<h2>Stretches and exercises</h2>"
                     "<p class='small'>Move slowly and gently; a mild stretch is enough.</p><ul>")
        parts += [f"<li><b>{e(i.title)}</b> <span class='kind'>({e(i.kind)})</span>: {e(i.how)}</li>"
                  for i in h.exercises]
        parts.append("</ul>")
    if h.note.strip():
        parts.append(f"<h2>A note from your therapist</h2><p class='note'>{e(h.note)}</p>")
    parts.append(f"<p class='small'>{e(NOT_A_DIAGNOSIS)}</p></body></html>")
    return "\n".join(parts)


# --- PDF -----------------------------------------------------------------------------------

def to_pdf(h: Handout, paper: Paper = "A4") -> bytes:
    """The same content as `to_html`, on A4 or US Letter, with the client, the date and
    "Page n of N" at the foot of every page. Text is Unicode, in the embedded fonts
    (`pdf_document`: DejaVu Sans; Droid Sans Fallback for Chinese and Japanese, loaded only when
    needed); a character neither has shows as [U+XXXX], never as "?"."""
    from fpdf import FPDF

    foot = " · ".join(p for p in (h.client, _long_date(h.date)) if p)
    pdf = open_document(paper, FPDF)
    drawable(pdf, foot + h.note)  # load the CJK font before the first page if any user text needs it
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_title(TITLE)
    pdf.set_creator("posture")
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def text(s: str, size: float = 10.5, style: str = "", h_mm: float = 5.2, indent: float = 0.0) -> None:
        pdf.set_font("dejavu", style, size)
        pdf.set_x(pdf.l_margin + indent)
        pdf.multi_cell(width - indent, h_mm, drawable(pdf, s), align="L", new_x="LMARGIN", new_y="NEXT")

    def heading(s: str) -> None:
        if pdf.get_y() > pdf.h - pdf.b_margin - 26:  # keep a heading with its first lines
            pdf.add_page()
        pdf.ln(3)
        text(s, 13.5, "B", 7)
        pdf.set_draw_color(190, 190, 190)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
        pdf.ln(2)

    def entry(title: str, body: str, tail: str = "") -> None:
        """A bulleted entry: bold title, then the body, kept together on one page."""
        pdf.set_font("dejavu", "", 10.5)
        with pdf.unbreakable() as doc:
            doc.set_font("dejavu", "B", 10.5)
            doc.set_x(doc.l_margin)
            doc.cell(5, 5.2, "•")
            doc.multi_cell(width - 5, 5.2, drawable(pdf, title + tail), align="L", new_x="LMARGIN", new_y="NEXT")
            doc.set_font("dejavu", "", 10.5)
            doc.set_x(doc.l_margin + 5)
            doc.multi_cell(width - 5, 5.2, drawable(pdf, body), align="L", new_x="LMARGIN", new_y="NEXT")
            doc.ln(1.2)

    text(TITLE, 18, "B", 9)
    text((f"For {h.client} · " if h.client else "") + _long_date(h.date), 11, h_mm=5.6)
    pdf.ln(3)
    pdf.set_fill_color(253, 240, 238)
    pdf.set_draw_color(192, 57, 43)
    pdf.set_line_width(0.6)
    pdf.set_font("dejavu", "B", 11)
    pdf.multi_cell(width, 6, drawable(pdf, SAFETY), border=1, fill=True, padding=(3, 3), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_line_width(0.2)
    if h.findings:
        heading("What we saw, and what it may mean")
        for o in h.findings:
            entry(o.seen, o.meaning)
    if h.habits:
        heading(DESK_GROUP)
        for i in h.habits:
            entry(i.title, i.how)
    if h.exercises:
        heading("Stretches and exercises")
        text("Move slowly and gently; a mild stretch is enough.", 10)
        pdf.ln(1)
        for i in h.exercises:
            entry(i.title, i.how, f"  ({i.kind})")
    if h.note.strip():
        heading("A note from your therapist")
        text(h.note, 11)
    pdf.ln(4)
    text(NOT_A_DIAGNOSIS, 9)
    # Footers last, once the page count is known: fpdf's "{nb}" alias loses its digits when
    # a fallback (CJK) font is in use.
    pdf.set_auto_page_break(auto=False)
    total = pdf.pages_count
    for n in range(1, total + 1):
        pdf.page = n
        pdf.set_y(-12)
        pdf.set_font("dejavu", "", 8)
        pdf.set_text_color(90, 90, 90)
        pdf.cell(width, 5, drawable(pdf, foot), align="L")
        pdf.set_x(pdf.l_margin)
        pdf.cell(width, 5, f"Page {n} of {total}", align="R")
    buf = io.BytesIO()
    pdf.output(buf)
    return buf.getvalue()
