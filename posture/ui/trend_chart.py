"""History's charts over sessions: pain per area, and the key measures with their ±.

Sessions are spaced evenly by number ("#2 · 3 Mar"), in order: on a time axis two sessions
minutes apart share one spot and their labels overlap. Each key measure's reading carries a
whisker of ± FINDING_MARGIN_SIGMAS x its uncertainty (the margin a finding must clear), so a
line between two readings whose whiskers overlap widely is not read as a trend; a self check
(taken by the client) is a hollow mark and says so on the axis.
"""

from __future__ import annotations

import altair as alt

from posture.core.measuring.findings import FINDING_MARGIN_SIGMAS

from .workflows import MeasurePoint, PainPoint

#: What the whiskers are, in the words under the chart.
WHISKER_NOTE = (f"Whiskers: each reading ± {FINDING_MARGIN_SIGMAS:g} × its uncertainty, the margin a finding must clear; "
                "a line between readings whose whiskers overlap is not a trend. Hollow marks: self checks.")


def _axis(ticks: list[str]) -> alt.X:
    axis = alt.Axis(labelAngle=0 if len(ticks) <= 4 else -35, labelPadding=6, labelLimit=160)
    return alt.X("session:O", title=None, axis=axis, sort=ticks, scale=alt.Scale(domain=ticks))


def _height(plot_height: int, lines: int) -> int:
    # The chart fits its container: the height given is the whole chart's, axis and legend
    # included, so each legend line is added to keep the plot itself readable.
    return plot_height + 45 + 22 * lines


#: One legend entry a line, at full length: measure names are long ("Neck inclination
#: (ear-shoulder line from vertical) (left)") and a cut name is a guess.
_LEGEND = alt.Legend(orient="bottom", columns=1, labelLimit=0)
_WHEN = alt.Tooltip("when:T", title="time", format="%-d %b %Y %H:%M")


def pain_chart(points: list[PainPoint], ticks: list[str]) -> alt.Chart:
    rows = [{"session": p.session, "when": p.when.isoformat(), "area": p.area, "level": p.level} for p in points]
    return alt.Chart(alt.Data(values=rows)).mark_line(point=True).encode(
        x=_axis(ticks), y=alt.Y("level:Q", title="pain", scale=alt.Scale(domain=[0, 10])),
        color=alt.Color("area:N", title=None, legend=_LEGEND),
        tooltip=["session:N", _WHEN, "area:N", "level:Q"],
    ).properties(height=_height(200, len({p.area for p in points})))


def measures_chart(points: list[MeasurePoint], ticks: list[str]) -> alt.LayerChart:
    """The key measures over sessions: a line per measure, each reading with its whisker."""
    rows = [{
        "session": p.session, "when": p.when.isoformat(), "measure": p.measure, "value": round(p.value, 1),
        "±": round(p.uncertainty, 1), "low": round(p.value - p.margin, 1), "high": round(p.value + p.margin, 1),
        "taken": "self check" if p.self_check else "assessment",
    } for p in points]
    colour = alt.Color("measure:N", title=None, legend=_LEGEND)
    tooltip = ["session:N", _WHEN, "measure:N", "value:Q", "±:Q", "low:Q", "high:Q", "taken:N"]
    base = alt.Chart(alt.Data(values=rows)).encode(x=_axis(ticks), color=colour)
    y = alt.Y("value:Q", title=None)
    line = base.mark_line().encode(y=y)
    # A plain vertical whisker: an error bar's ticks would span the whole session band.
    whiskers = base.mark_rule(strokeWidth=2, opacity=0.45).encode(y=alt.Y("low:Q", title=None), y2="high:Q",
                                                                  tooltip=tooltip)
    marks = base.mark_point(size=70, filled=True, opacity=1).encode(
        y=y, tooltip=tooltip,
        # No legend: the axis label says "self check" and the note under the charts explains the marks.
        shape=alt.Shape("taken:N", legend=None, scale=alt.Scale(domain=["assessment", "self check"],
                                                                 range=["circle", "diamond"])),
        fillOpacity=alt.condition(alt.datum.taken == "self check", alt.value(0.0), alt.value(1.0)),
    )
    # Room on the left for the y axis: stretched to its column, a layered chart's axis labels
    # otherwise fall outside the drawing (seen in Chromium).
    return alt.LayerChart(layer=[line, whiskers, marks], height=_height(180, len({p.measure for p in points})),
                          padding={"left": 36, "top": 5, "right": 5, "bottom": 5})
