"""The summary as Markdown, and the one rule that makes user text inert in Markdown.

`to_markdown` is the whole summary (the CLI's .md); `page_markdown` and `chart_svg` are
the first page for the app, which shows the disclaimer and the photos itself;
`measures_markdown` is one photo's table for the app. User text is never read as
Markdown: it goes through `md_escape`.
"""

from __future__ import annotations

import re

from posture.core.assessment import Assessment
from posture.core.measuring.formatting import MeasureRow, definition, label, measure_rows
from posture.report import bodychart
from posture.report.summary import Summary
from posture.report.summary_text import (
    DISCLAIMER,
    LIMITS,
    NO_INTAKE,
    NO_MEASURES,
    PAIR_HEADING,
    POSSIBLE_HEADING,
    TITLE,
    capitalised,
    facts,
    intake_answers,
    likely_from_lines,
    measured_names,
    no_findings_text,
    pain_text,
    pain_worst_first,
    pair_lines,
    photo_label,
    possible_lines,
    setup_lines,
    setup_rows,
    views_text,
)

#: Every ASCII punctuation character: CommonMark lets a backslash make any of them literal,
#: which also disarms Streamlit's extensions (`:red[..]`, `$maths$`, `:emoji:`).
_MD_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")
#: GitHub-flavoured Markdown turns "https://...", "www...." and "name@host.org" into live links
#: even with every punctuation mark escaped (it looks for them in the text after the escapes
#: are undone). An invisible word joiner after "http(s)", "www" and "@" breaks each pattern.
_AUTOLINK = re.compile(r"(?i)(?:\b(?:https?|ftp|mailto|www)(?=[:.])|@)")
NO_LINK = "\u2060"


def md_escape(text: str) -> str:
    """User text made inert in Markdown: shown exactly as typed, line breaks kept.

    The one rule for user text on a page or in a Markdown label (no HTML escaping here:
    `&#x27;` would show as such). Lines become hard breaks; leading spaces are written
    as character references so they never start a code block; web and e-mail addresses stay
    plain text (see `_AUTOLINK`).
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out = []
    for line in lines:
        body = line.lstrip(" ")
        # An empty line would end the paragraph (and a list item): keep it as a visible blank line.
        inert = _MD_PUNCT.sub(r"\\\1", _AUTOLINK.sub(lambda m: m.group(0) + NO_LINK, body))
        out.append("&#32;" * max(len(line) - len(body), not line) + inert)
    return "  \n".join(out)


def _first_page(summary: Summary, disclaimer: bool) -> list[str]:
    lines = [f"# {TITLE}", ""]
    lines.append("  \n".join(f"**{k}:** {md_escape(v) if k == 'Client' else v}" for k, v in facts(summary)))
    lines.append("")
    if disclaimer:
        head, rest = DISCLAIMER.split(". ", 1)
        lines += [f"> **{head}.** {rest}", ""]
    it = summary.intake
    lines += ["## Intake at a glance", ""]
    if it.empty:
        lines += [NO_INTAKE, ""]
    else:
        if it.pain:
            lines.append("- **Pain:** " + ", ".join(md_escape(pain_text(k, v)) for k, v in pain_worst_first(it.pain)))
        lines += [f"- **{k}:** {md_escape(v)}" for k, v in intake_answers(it)]
        lines.append("")
    rows = setup_rows(summary)
    if rows:
        # A list, not a table: beside long notes a table squeezes the status to "cau/tio/n".
        lines += ["## Photo set-up", ""]
        lines += [f"- **{md_escape(r.photo)}**, set-up {r.status}: {md_escape(r.notes)}" for r in rows]
        lines.append("")
    lines += ["## Findings by region", ""]
    groups = summary.regions()
    if not any(g.findings for g in groups):
        lines += [no_findings_text(groups), ""]
    for g in groups:
        lines += [f"### {capitalised(g.region)}", ""]
        if not g.findings:
            lines += [f"_{capitalised(g.status)}._", ""]
            continue
        for m in g.findings:
            sub = [m.detail]
            if len(m.readings) > 1:
                sub.append(views_text(m))
            if m.agreement:
                sub.append(f"⚠ {m.agreement}")
            if m.areas:
                sub.append(f"Consider: {', '.join(m.areas)}")
            lines.append(f"- **{m.title}** · {m.severity.label}  ")
            lines.append("  " + "  \n  ".join(sub))
        lines.append("")
    paired = pair_lines(summary)
    if paired:
        lines += [f"## {PAIR_HEADING}", "", *[f"- {t}" for t in paired], ""]
    possible = possible_lines(summary)
    if possible:
        lines += [f"## {POSSIBLE_HEADING}", "", *[f"- {t}" for t in possible], ""]
    if summary.changes_text:
        lines += ["## Change since last assessment", "", *[f"- {md_escape(t)}" for t in summary.changes_text], ""]
    return lines


def page_markdown(summary: Summary) -> str:
    """The first page for the app: without the disclaimer (the page shows it once), without
    the photos (the page shows them above), its headings two levels down. The body chart is
    `chart_svg`. (User text in it is escaped, so no user line starts a heading.)"""
    # Two heading levels down: on the page it sits under the section's own subheader, where
    # a summary's title and sections as big as the page's title read as shouting.
    return "\n".join("##" + line if line.startswith("#") else line for line in _first_page(summary, disclaimer=False))


def chart_svg(summary: Summary, width_px: int = 260) -> str:
    """The intake's body chart as SVG for beside `page_markdown` (empty string when no
    pain area was given)."""
    return bodychart.to_svg(bodychart.chart(summary.intake.pain), width_px) if summary.intake.pain else ""


def _table(rows: list[MeasureRow]) -> list[str]:
    return ["| measure | reading |", "|---|---|", *[f"| {r.label} | {r.reading.replace('|', '/')} |" for r in rows]]


def measures_markdown(a: Assessment) -> str:
    """A photo's measures for the app's page: a two-column Markdown table (plain name,
    reading in words) whose long reasons wrap instead of being cut off at tablet width.
    Cells are escaped, so nothing in them is read as Markdown."""
    rows = measure_rows(a.measures)
    if not rows:
        return NO_MEASURES
    cells = [MeasureRow(r.name, md_escape(r.label), md_escape(r.reading), r.measured, r.definition) for r in rows]
    return "\n".join(_table(cells))


def to_markdown(summary: Summary) -> str:
    """The whole summary: the first page with the disclaimer, each photo's measures, what
    they mean and the limits of the method."""
    lines = _first_page(summary, disclaimer=True)
    for i, a in enumerate(summary.assessments):
        lines += [f"## {photo_label(a, i)}", ""]
        if a.image.path:
            lines += [f"Image: {md_escape(a.image.path)} ({a.image.width}×{a.image.height}), view "
                      f"{a.view.how_text}", ""]
        rows = measure_rows(a.measures)
        lines += [*_table(rows), ""] if rows else [NO_MEASURES, ""]
        notes = [*setup_lines(a)[1:], *map(md_escape, a.warnings)]  # set-up lines are our own words
        if notes:
            lines += [*[f"- ⚠ {w}" for w in notes], ""]
        likely_from = likely_from_lines(a, summary.thresholds)
        if likely_from:
            lines += ["Likely findings would start (at this photo's ±):", "", *[f"- {t}" for t in likely_from], ""]
    names = measured_names(summary)
    if names:
        lines += ["## What the measures mean", "", *[f"- **{label(n)}**: {definition(n)}" for n in names], ""]
    lines += ["## Limits of the method", "", *[f"- {t}" for t in LIMITS], ""]
    return "\n".join(lines)
