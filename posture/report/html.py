"""The summary as one self-contained HTML file: styles inline, the body chart as SVG and
each annotated photo as a data URL, laid out for a screen and for printing.

Every piece of text is HTML-escaped, user text (client name, intake answers, warnings)
included, and shown exactly as typed.
"""

from __future__ import annotations

import base64
import html

from posture.core.assessment import Assessment
from posture.core.measuring.formatting import definition, label, measure_rows
from posture.report import bodychart
from posture.report.regions import RegionGroup
from posture.report.summary import Summary
from posture.report.summary_text import (
    DISCLAIMER,
    LIMITS,
    NO_INTAKE,
    NO_MEASURES,
    PAIR_HEADING,
    POSSIBLE_HEADING,
    TITLE,
    camera_text,
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
    setup_status,
)

_CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0 auto;max-width:1040px;
padding:16px;color:#1c1c1c;line-height:1.4}
h1{font-size:1.6em;margin:0 0 .3em}h2{font-size:1.25em;border-bottom:1px solid #ccc;padding-bottom:4px;margin:1.4em 0 .6em}
h3{font-size:1.05em;margin:1em 0 .3em;color:#2b4a6f}
.facts{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:4px 16px;margin:0 0 12px}
.facts div{border-left:3px solid #2b4a6f;padding-left:8px}.facts dt{font-size:.8em;color:#555}.facts dd{margin:0;font-weight:600}
.disclaimer{background:#fff7e0;border-left:4px solid #e0a800;padding:8px 12px;margin:8px 0}
.glance{display:grid;grid-template-columns:minmax(0,1fr) 280px;gap:16px;align-items:start}
.glance h2{margin-top:.6em}.chart{margin:0;text-align:center}.chart svg{max-width:100%;height:auto}
.chart figcaption{font-size:.85em;color:#555}
.sev{display:inline-block;min-width:5.5em;font-size:.8em;font-weight:600;border-radius:4px;padding:1px 6px;color:#fff;
text-align:center;margin-right:6px;vertical-align:1px}
.sev-marked{background:#b00020}.sev-moderate{background:#c44d00}.sev-mild{background:#8a7000}
ul{padding-left:1.2em}.findings{list-style:none;padding-left:0}.findings li{margin:0 0 .8em}
.findings p{margin:.2em 0 0}.views{font-size:.92em}.areas{font-size:.92em;color:#333}
.none{color:#666;font-style:italic;margin:.2em 0}
table{border-collapse:collapse;width:100%;font-size:.92em}td,th{border:1px solid #ddd;padding:4px 6px;text-align:left;
vertical-align:top;overflow-wrap:anywhere}th{background:#f3f3f3}
.na td:last-child{color:#6a6a6a}.st-ok{color:#1e7a34;font-weight:600}.st-caution{color:#9a6400;font-weight:600}
.st-retake{color:#b00020;font-weight:600}
.photo-grid{display:grid;grid-template-columns:minmax(0,2fr) minmax(0,3fr);gap:16px;align-items:start}
.photo img{max-width:100%;height:auto;border:1px solid #ccc}
.warn{color:#8a5300}.user{white-space:pre-wrap;overflow-wrap:anywhere}
.setup td:nth-child(2),.setup th{white-space:nowrap;overflow-wrap:normal}.setup td:first-child{min-width:9em}
.measures td:first-child,.measures th{overflow-wrap:normal}
dl.defs dt{font-weight:600;margin-top:.4em}dl.defs dd{margin:0 0 0 1em;font-size:.92em}
@media (max-width:760px){.glance,.photo-grid{grid-template-columns:1fr}.chart{max-width:320px}}
@media print{body{max-width:none;padding:0;font-size:10pt}.photo{break-inside:avoid}h2,h3{break-after:avoid}
.first-photo{break-before:page}.findings li{break-inside:avoid}}
"""


def _findings(groups: list[RegionGroup]) -> list[str]:
    e = html.escape
    parts: list[str] = []
    if not any(g.findings for g in groups):
        parts.append(f"<p>{e(no_findings_text(groups))}</p>")
    for g in groups:
        parts.append(f"<section class='region' data-region='{e(g.region)}'><h3>{e(capitalised(g.region))}</h3>")
        if not g.findings:
            parts.append(f"<p class='none'>{e(capitalised(g.status))}.</p>")
        else:
            parts.append("<ul class='findings'>")
            for m in g.findings:
                parts.append(f"<li class='finding' data-id='{e(m.id)}'><span class='sev sev-{m.severity.label}'>"
                             f"{m.severity.label}</span><b>{e(m.title)}</b><p>{e(m.detail)}</p>")
                if len(m.readings) > 1:
                    parts.append("<p class='views'>" + " · ".join(
                        f"<i>{e(r.view)} view:</i> {e(r.reading)}" for r in m.readings) + "</p>")
                if m.agreement:
                    parts.append(f"<p class='warn'>⚠ {e(m.agreement)}</p>")
                if m.areas:
                    parts.append(f"<p class='areas'><b>Consider:</b> {e(', '.join(m.areas))}</p>")
                parts.append("</li>")
            parts.append("</ul>")
        parts.append("</section>")
    return parts


def _measures(a: Assessment) -> str:
    e = html.escape
    if not measure_rows(a.measures):
        return f"<p class='none'>{e(NO_MEASURES)}</p>"
    rows = "".join(
        f"<tr{'' if r.measured else ' class=na'}><td title='{e(r.definition)}'>{e(r.label)}</td><td>{e(r.reading)}</td></tr>"
        for r in measure_rows(a.measures))
    return f"<table class='measures'><tr><th>measure</th><th>reading</th></tr>{rows}</table>"


def to_html(summary: Summary) -> str:
    """The whole summary, as the Markdown has it, with the body chart and the annotated photos."""
    e = html.escape
    head, rest = DISCLAIMER.split(". ", 1)
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{TITLE}{(' — ' + e(summary.client)) if summary.client else ''}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<header><h1>{TITLE}</h1><dl class='facts'>",
        *[f"<div><dt>{k}</dt><dd class='user'>{e(v)}</dd></div>" for k, v in facts(summary)],
        "</dl></header>",
        f"<p class='disclaimer'><b>{e(head)}.</b> {e(rest)}</p>",
        "<section class='glance'><div class='intake'><h2>Intake at a glance</h2>",
    ]
    it = summary.intake
    if it.empty:
        parts.append(f"<p class='none'>{e(NO_INTAKE)}</p>")
    else:
        parts.append("<ul>")
        if it.pain:
            pains = ", ".join(f"{e(k)} <i>not rated</i>" if v is None else f"{e(k)} <b>{int(v)}/10</b>"
                              for k, v in pain_worst_first(it.pain))
            parts.append(f"<li><b>Pain:</b> {pains}</li>")
        parts += [f"<li><b>{k}:</b> <span class='user'>{e(v)}</span></li>" for k, v in intake_answers(it)]
        parts.append("</ul>")
    parts.append("</div>")
    if it.pain:
        c = bodychart.chart(it.pain)
        off = ", ".join(pain_text(k, v) for k, v in c.unplaced)
        parts.append(f"<figure class='chart'>{bodychart.to_svg(c, 280)}<figcaption>Pain by area, 0–10"
                     + (f"; not on the chart: {e(off)}" if off else "") + "</figcaption></figure>")
    parts.append("</section>")
    rows = setup_rows(summary)
    if rows:
        parts.append("<h2>Photo set-up</h2><table class='setup'><tr><th>photo</th><th>set-up</th><th>notes</th></tr>")
        parts += [f"<tr><td>{e(r.photo)}</td><td class='st-{e(r.status)}'>{e(r.status)}</td><td>{e(r.notes)}</td></tr>"
                  for r in rows]
        parts.append("</table>")
    parts.append("<h2>Findings by region</h2>")
    parts += _findings(summary.regions())
    paired = pair_lines(summary)
    if paired:
        parts.append(f"<h2>{e(PAIR_HEADING)}</h2><ul class='pair'>" + "".join(f"<li>{e(t)}</li>" for t in paired)
                     + "</ul>")
    possible = possible_lines(summary)
    if possible:
        parts.append(f"<h2>{e(POSSIBLE_HEADING)}</h2><ul class='possible'>"
                     + "".join(f"<li>{e(t)}</li>" for t in possible) + "</ul>")
    if summary.changes_text:
        parts.append("<h2>Change since last assessment</h2><ul>"
                     + "".join(f"<li>{e(t)}</li>" for t in summary.changes_text) + "</ul>")
    for i, a in enumerate(summary.assessments):
        parts.append(f"<section class='photo{' first-photo' if i == 0 else ''}'><h2>{e(photo_label(a, i))}</h2>"
                     "<div class='photo-grid'><div>")
        if jpeg := summary.annotated_jpeg(i):
            b64 = base64.b64encode(jpeg).decode("ascii")
            parts.append(f"<img alt='{e(photo_label(a, i))}, annotated' src='data:image/jpeg;base64,{b64}'>")
        parts.append(f"<p>View: {e(a.view.name.value)} ({e(a.view.how_text)}), "
                     f"{e(a.view.posture.value)}. Set-up: {e(setup_status(a))}; "
                     f"{e(camera_text(a))}.</p>")
        notes = [*setup_lines(a)[1:], *a.warnings]
        if notes:
            parts.append("<ul>" + "".join(f"<li class='warn'>{e(w)}</li>" for w in notes) + "</ul>")
        likely_from = likely_from_lines(a, summary.thresholds)
        if likely_from:
            parts.append("<p class='likely-from'>Likely findings would start (at this photo's ±):</p><ul>"
                         + "".join(f"<li>{e(t)}</li>" for t in likely_from) + "</ul>")
        parts.append(f"</div>{_measures(a)}</div></section>")
    names = measured_names(summary)
    if names:
        parts.append("<h2>What the measures mean</h2><dl class='defs'>"
                     + "".join(f"<dt>{e(label(n))}</dt><dd>{e(definition(n))}</dd>" for n in names) + "</dl>")
    parts.append("<h2>Limits of the method</h2><ul>" + "".join(f"<li>{e(t)}</li>" for t in LIMITS) + "</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)
