"""The measures: one declarative table, computed on every augmented copy, then aggregated.

Each `MeasureSpec` (`measure_spec.py`) states everything about a measure once: definition,
sign convention and its words, unit, views, postures, landmarks, region, set-up gates, the
finding it raises, what "better" means, and where it is shown. Every other module derives
from this table. `compute_measures` returns a `Measure` for every spec: with a value and
its uncertainty, or with no value and the reason why.

Coordinates are image pixels (x right, y down). Angles are computed in pixels, never in
MediaPipe's normalised coordinates (those scale x and y by different amounts).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from posture.core.body.landmarks import MIN_VISIBILITY, Landmark, PoseLandmarks
from posture.core.body.views import FRONTAL_TURN_LIMIT_DEG, Posture, ViewName

from . import geometry as g
from .measure_spec import (
    ANY_POSTURE,
    ARMS_CHECK,
    FRONTAL,
    NOT_RELEVANT_REASONS,
    REGIONS,
    SAGITTAL,
    STANCE_CHECK,
    STANDING,
    Compute,
    FloatArray,
    Grading,
    LineTurn,
    Measure,
    MeasureContext,
    MeasureSpec,
    MeasureTable,
    NeutralBand,
    SignWords,
)

__all__ = [
    "FRONTAL", "HEIGHT_RANGE_CM", "MEASURES", "MIN_VISIBILITY", "REGIONS", "SAGITTAL", "NOT_RELEVANT_REASONS", "RENAMED_MEASURES", "SCALE_REL_ERROR", "Measure",
    "MeasureContext", "MeasureSpec", "aggregate", "compute_measures", "px_per_cm", "value_of",
]

#: Anthropometric ratios (Drillis & Contini 1966, as tabulated by Winter, *Biomechanics and
#: Motor Control of Human Movement*): segment lengths as fractions of standing height H.
#: Ear-to-ankle height ~ (0.93 - 0.04) H (standing scale). Seated photos are scaled from a
#: leg segment, never from the shoulder-hip chord: that chord shortens when the client
#: slumps, so centimetres would change with the very posture being measured.
#: Shank (knee to ankle) = knee height 0.285 H - ankle height 0.039 H = 0.246 H.
EAR_TO_ANKLE_OF_HEIGHT = 0.89
SHANK_OF_HEIGHT = 0.246
#: Thigh (hip to knee) = 0.530 H - 0.285 H = 0.245 H: the fallback for a seated photo without
#: the ankle needs the consensus visibility, which the compute functions do not see (yet).
THIGH_OF_HEIGHT = 0.245
#: Relative error of any centimetre value from scaling by body proportions. The ratios above
#: are population averages; a person's own segment-to-height ratio differs by a few per cent
#: (a short shank, a long trunk), so 10 % is an allowance of about two such spreads, the
#: figure this project has quoted since centimetres were added. It is not a measured SD:
#: add it (as SCALE_REL_ERROR * |value|) to the uncertainty of every `cm` measure.
SCALE_REL_ERROR = 0.10
#: A client's height in centimetres, as the tool accepts it (it scales the `cm` measures).
HEIGHT_RANGE_CM = (50.0, 250.0)


# --- helpers used by the table -------------------------------------------------------


def _p(xy: FloatArray, lm: Landmark) -> FloatArray:
    return xy[int(lm)]


def _mid(xy: FloatArray, a: Landmark, b: Landmark) -> tuple[float, float]:
    return g.midpoint(_p(xy, a), _p(xy, b))


def _torso_px(xy: FloatArray, ctx: MeasureContext) -> float:
    return g.distance(_p(xy, ctx.side("SHOULDER")), _p(xy, ctx.side("HIP")))


def _ear_ankle_px(xy: FloatArray, ctx: MeasureContext) -> float:
    return float(_p(xy, ctx.side("ANKLE"))[1] - _p(xy, ctx.side("EAR"))[1])


def _shank_px(xy: FloatArray, ctx: MeasureContext) -> float:
    return g.distance(_p(xy, ctx.side("KNEE")), _p(xy, ctx.side("ANKLE")))


def px_per_cm(xy: FloatArray, ctx: MeasureContext) -> float:
    """Image scale at the subject, from their height and a body segment whose length does not
    depend on the posture measured: standing, the ear-ankle height; seated, the shank."""
    if ctx.height_cm is None:
        raise ValueError("height not given")
    if ctx.view.posture is Posture.STANDING:
        scale = _ear_ankle_px(xy, ctx) / (EAR_TO_ANKLE_OF_HEIGHT * ctx.height_cm)
    else:
        scale = _shank_px(xy, ctx) / (SHANK_OF_HEIGHT * ctx.height_cm)
    if not scale > 0.0:  # the ear level with or below the ankle: no scale, never a negative one
        raise ValueError("no image scale: the ear is not above the ankle")
    return scale


def _scale_landmarks(ctx: MeasureContext) -> tuple[Landmark, ...]:
    if ctx.view.posture is Posture.STANDING:
        return (ctx.side("EAR"), ctx.side("ANKLE"))
    return (ctx.side("KNEE"), ctx.side("ANKLE"))


def _fixed(*lms: Landmark) -> Callable[[MeasureContext], tuple[Landmark, ...]]:
    return lambda ctx: lms


def _tilt(left: Landmark, right: Landmark) -> Compute:
    def compute(xy: FloatArray, ctx: MeasureContext) -> float:
        if ctx.focal_px is None or ctx.principal_point is None or ctx.yaw_deg is None:
            return g.tilt_deg(_p(xy, left), _p(xy, right))
        return g.level_line_tilt_deg(_p(xy, left), _p(xy, right), ctx.yaw_deg, ctx.focal_px, ctx.principal_point)

    return compute


def _trunk_lean(xy: FloatArray, ctx: MeasureContext) -> float:
    hip = _mid(xy, Landmark.LEFT_HIP, Landmark.RIGHT_HIP)
    shoulder = _mid(xy, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER)
    if ctx.yaw_deg is None or ctx.focal_px is None:  # read as drawn (live frames, stored records)
        return g.inclination_deg(hip, shoulder, ctx.view.subject_left_x)
    # A body turned by psi from square shows its side-to-side lean shortened by cos(psi)
    # (the vertical is not): 30 deg of lean seen 25 deg off square reads 27.6. Undone here,
    # so that the yaw's SD enters the lean's ± like the tilts' (`uncertainty.combine`).
    shortening = max(math.cos(math.radians(ctx.view.name.off_square_deg(ctx.yaw_deg) or 0.0)), 0.5)
    sideways = ctx.view.subject_left_x * (shoulder[0] - hip[0]) / shortening
    return math.degrees(math.atan2(sideways, hip[1] - shoulder[1]))


def _knee_valgus(side: str) -> Compute:
    hip, knee, ankle = (Landmark[f"{side}_{p}"] for p in ("HIP", "KNEE", "ANKLE"))
    # Medial is toward the other leg: for the left knee, toward the subject's right.
    medial = -1.0 if side == "LEFT" else 1.0

    def compute(xy: FloatArray, ctx: MeasureContext) -> float:
        return g.bend_deg(_p(xy, hip), _p(xy, knee), _p(xy, ankle), medial * ctx.view.subject_left_x)

    return compute


def _sagittal(*parts: str) -> Callable[[MeasureContext], tuple[Landmark, ...]]:
    return lambda ctx: tuple(ctx.side(p) for p in parts)


def _cva(xy: FloatArray, ctx: MeasureContext) -> float:
    return g.elevation_deg(_p(xy, ctx.side("SHOULDER")), _p(xy, ctx.side("EAR")), ctx.view.forward_x)


def _neck(xy: FloatArray, ctx: MeasureContext) -> float:
    return g.inclination_deg(_p(xy, ctx.side("SHOULDER")), _p(xy, ctx.side("EAR")), ctx.view.forward_x)


def _torso(xy: FloatArray, ctx: MeasureContext) -> float:
    return g.inclination_deg(_p(xy, ctx.side("HIP")), _p(xy, ctx.side("SHOULDER")), ctx.view.forward_x)


def _neck_on_trunk(xy: FloatArray, ctx: MeasureContext) -> float:
    # Both are signed toward the face, so their difference is the neck's flexion on the trunk
    # whatever the trunk does; wrapped into (-180, 180].
    diff = _neck(xy, ctx) - _torso(xy, ctx)
    return diff - 360.0 * math.ceil((diff - 180.0) / 360.0)


def _head_offset_px(xy: FloatArray, ctx: MeasureContext) -> float:
    return g.horizontal_offset(_p(xy, ctx.side("EAR")), float(_p(xy, ctx.side("SHOULDER"))[0]), ctx.view.forward_x)


def _trunk_thigh(xy: FloatArray, ctx: MeasureContext) -> float:
    s, h, k = (_p(xy, ctx.side(p)) for p in ("SHOULDER", "HIP", "KNEE"))
    return g.bend_deg(s, h, k, -ctx.view.forward_x)


def _knee_flexion(xy: FloatArray, ctx: MeasureContext) -> float:
    h, k, a = (_p(xy, ctx.side(p)) for p in ("HIP", "KNEE", "ANKLE"))
    return g.bend_deg(h, k, a, ctx.view.forward_x)


def _plumb_px(part: str) -> Compute:
    def compute(xy: FloatArray, ctx: MeasureContext) -> float:
        ankle_x = float(_p(xy, ctx.side("ANKLE"))[0])
        return g.horizontal_offset(_p(xy, ctx.side(part)), ankle_x, ctx.view.forward_x)

    return compute


def _as_pct(px: Compute, reference: Compute) -> Compute:
    return lambda xy, ctx: 100.0 * px(xy, ctx) / reference(xy, ctx)


def _as_cm(px: Compute) -> Compute:
    return lambda xy, ctx: px(xy, ctx) / px_per_cm(xy, ctx)


#: Before/after, where each graded measure is best (`MeasureSpec.better`). Tilts and leans:
#: level or upright. Knees: straight.
LEVEL = NeutralBand(0.0, 0.0)
STRAIGHT_KNEE = NeutralBand(0.0, 0.0)
#: Neck on the trunk: RULA's neutral 0-10 deg band moved up 15 deg, as its cut-offs are
#: (thresholds.toml, neck_flexion: BlazePose's shoulder is below and in front of C7, so a
#: neutral neck reads about +15 deg). Going from +18 to -8 is worse, not "toward zero".
NECK_NEUTRAL = NeutralBand(15.0, 25.0)
#: Trunk inclination: only forward flexion is graded (a supported recline is RULA's best
#: trunk score), so upright and any recline are alike: a change between them is neither.
UPRIGHT_OR_RECLINED = NeutralBand(-math.inf, 0.0)
#: The craniovertebral angle: the ear straight above the shoulder.
EAR_OVER_SHOULDER = NeutralBand(90.0, 90.0)

_STANCE_AND_ARMS = frozenset({STANCE_CHECK, ARMS_CHECK})
_STANCE = frozenset({STANCE_CHECK})
_KNEE_AREAS = ("gluteus medius (often weak)", "gluteus maximus (often weak)", "hip adductors", "TFL / IT band",
               "foot pronation")


def _build_table() -> tuple[MeasureSpec, ...]:
    table: list[MeasureSpec] = [
        MeasureSpec(
            "head_tilt_deg", "deg", FRONTAL, ANY_POSTURE,
            "Angle of the line through the two ears against the horizontal.",
            "Positive when the subject's left ear is higher.",
            _fixed(Landmark.LEFT_EAR, Landmark.RIGHT_EAR),
            _tilt(Landmark.LEFT_EAR, Landmark.RIGHT_EAR), max_spread=3.0,
            label="Head tilt", short_label="Head",
            words=SignWords("left ear higher by {a}", "right ear higher by {a}", "level",
                            overlay=("L ear higher", "R ear higher")),
            region="head and neck", sided=True, reads_gravity=True, fuses_front_back=True, withheld_by=_STANCE_AND_ARMS,
            # Clients asked to look ahead keep the head within a few degrees of the trunk (4-6 deg
            # on the four-camera reference): 8 deg SD is our assumption.
            line_turn=LineTurn(8.0),
            # max_turn_deg stays at 30: the head's own turn grows with the body's (a client turned away
            # looks back or not), and at 31-44 deg off the four-camera heads erred 2-5 deg with
            # two false mild findings, although the ears' placement held.
            grading=Grading("head_tilt", "Head likely tilted: {side} ear higher",
                            "The {side} ear sits higher by {by}: the head side-bends toward the {other}.",
                            ("sternocleidomastoid", "scalenes", "upper trapezius", "suboccipitals")),
            better=LEVEL, key=True, overlay=True, live=True,
            advice=("Level your head: your left ear is higher than your right.",
                    "Level your head: your right ear is higher than your left."),
        ),
        MeasureSpec(
            "shoulder_tilt_deg", "deg", FRONTAL, ANY_POSTURE,
            "Angle of the line through the two shoulder landmarks against the horizontal.",
            "Positive when the subject's left shoulder is higher.",
            _fixed(Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER),
            _tilt(Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER), max_spread=3.0,
            label="Shoulder tilt", short_label="Shoulders",
            words=SignWords("left higher by {a}", "right higher by {a}", "level", overlay=("L higher", "R higher")),
            region="shoulders", sided=True, reads_gravity=True, fuses_front_back=True, withheld_by=_STANCE_AND_ARMS,
            # Read to 45 deg off square: the shoulders stay placed within 3 % of the torso there
            # (errors 0.3-3.0 deg at 31-44 deg off); hips (10 %) and the trunk (its depth) do not.
            max_turn_deg=FRONTAL_TURN_LIMIT_DEG,
            grading=Grading("shoulder_tilt", "Uneven shoulders: {side} shoulder likely higher",
                            "The {side} shoulder sits higher by {by}. Consider checking elevators on the {side} and "
                            "depressors on the other side; confirm by palpation.",
                            ("upper trapezius (high side)", "levator scapulae (high side)", "latissimus dorsi",
                             "quadratus lumborum")),
            better=LEVEL, key=True, overlay=True, live=True,
            advice=("Let your left shoulder drop: it sits higher than the right (rest both forearms evenly).",
                    "Let your right shoulder drop: it sits higher than the left (rest both forearms evenly)."),
        ),
        MeasureSpec(
            "hip_tilt_deg", "deg", FRONTAL, ANY_POSTURE,
            "Angle of the line through the two hip landmarks against the horizontal "
            "(a proxy for pelvic obliquity; BlazePose has no iliac crest or ASIS).",
            "Positive when the subject's left hip is higher.",
            _fixed(Landmark.LEFT_HIP, Landmark.RIGHT_HIP),
            _tilt(Landmark.LEFT_HIP, Landmark.RIGHT_HIP), max_spread=3.0,
            label="Hip tilt (pelvic obliquity proxy)", short_label="Hips",
            words=SignWords("left higher by {a}", "right higher by {a}", "level", overlay=("L higher", "R higher")),
            region="pelvis", sided=True, reads_gravity=True, fuses_front_back=True, withheld_by=_STANCE,
            grading=Grading("hip_tilt", "Likely pelvic obliquity: {side} hip higher",
                            "The {side} hip sits higher by {by}. Consider leg-length and quadratus lumborum "
                            "assessment; clothing and stance width affect this landmark.",
                            ("quadratus lumborum (high side)", "gluteus medius (low side)", "hip adductors",
                             "hip abductors")),
            # Not live: at a desk the hips are mostly hidden by it, and sitting moves them little.
            better=LEVEL, key=True, overlay=True,
        ),
        MeasureSpec(
            "trunk_lean_deg", "deg", FRONTAL, ANY_POSTURE,
            "Angle of the line from mid-hip to mid-shoulder against the vertical.",
            "Positive when the shoulders are shifted toward the subject's left.",
            _fixed(Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER, Landmark.LEFT_HIP, Landmark.RIGHT_HIP),
            _trunk_lean, max_spread=3.0,
            label="Trunk side lean", short_label="Trunk",
            words=SignWords("leaning toward the left by {a}", "leaning toward the right by {a}", "upright",
                            overlay=("leans L", "leans R")),
            # The trunk's forward or backward lean in quiet standing, unseen from the front:
            # 5 deg SD, our assumption (the four-camera reference stood 3 deg back).
            region="trunk", sided=True, reads_gravity=True, withheld_by=_STANCE, hidden_depth_sd_deg=5.0,
            grading=Grading("trunk_lean", "Likely lateral trunk lean toward the {side}",
                            "The shoulders are shifted toward the client's {side} over the pelvis by {by}.",
                            ("quadratus lumborum", "obliques", "erector spinae")),
            better=LEVEL, key=True, overlay=True, live=True,
            advice=("Sit centred: you lean to your left (weight even on both sit bones, no leaning on one armrest).",
                    "Sit centred: you lean to your right (weight even on both sit bones, no leaning on one armrest)."),
        ),
    ]
    for side in ("LEFT", "RIGHT"):
        knee = side.lower()
        table.append(
            MeasureSpec(
                f"{knee}_knee_valgus_deg", "deg", FRONTAL, STANDING,
                f"Frontal-plane projection angle of the {knee} knee: how far hip-knee-ankle "
                "departs from a straight line (0 when straight).",
                "Positive when the knee lies medial of the hip-ankle line (valgus, knock-knee); "
                "negative when lateral (varus, bow-leg).",
                _fixed(*(Landmark[f"{side}_{p}"] for p in ("HIP", "KNEE", "ANKLE"))),
                _knee_valgus(side), max_spread=4.0, valid_range=(-30.0, 30.0),
                range_hint="the knee is bent, so this is not a standing alignment reading",
                label=f"{knee.capitalize()} knee alignment", short_label=f"{side[0]} knee",
                words=SignWords("inward (valgus) by {a}", "outward (varus) by {a}", "straight",
                                overlay=("inward", "outward")),
                region="knees", sided=True, withheld_by=_STANCE,
                grading=Grading("knee_valgus", f"{knee.capitalize()} knee: likely {{side}} alignment",
                                f"The hip-knee-ankle line bends {{by}} at the {knee} knee. Foot position and camera "
                                "height affect this; consider a standing and a squat check.",
                                _KNEE_AREAS, sides=("valgus (knee inward)", "varus (knee outward)")),
                better=STRAIGHT_KNEE, overlay=True,
            )
        )
    table += [
        MeasureSpec(
            "craniovertebral_angle_deg", "deg", SAGITTAL, ANY_POSTURE,
            "Angle between the horizontal and the line from the shoulder landmark to the ear "
            "(photographic proxy for the C7-tragus craniovertebral angle; reads higher than the "
            "clinical angle because BlazePose's shoulder sits below and in front of C7).",
            "90 when the ear is straight above the shoulder; smaller means a more forward head.",
            _sagittal("SHOULDER", "EAR"), _cva, max_spread=4.0, withheld_by=_STANCE,
            label="Craniovertebral angle (ear–shoulder proxy)", short_label="CVA",
            region="head and neck",
            grading=Grading("forward_head", "Likely forward head posture",
                            "The ear-shoulder angle is {reading}, below the screening cut-off for this landmark "
                            "proxy. Consider the cervical and upper-thoracic region.",
                            ("suboccipitals", "upper trapezius", "levator scapulae",
                             "sternocleidomastoid (often short)", "scalenes (often short)",
                             "deep neck flexors (often weak)")),
            better=EAR_OVER_SHOULDER, key=True, overlay=True, live=True,
        ),
        MeasureSpec(
            "neck_inclination_deg", "deg", SAGITTAL, ANY_POSTURE,
            "Head forward (neck line vs vertical): angle of the shoulder-to-ear line against the "
            "vertical. It adds the trunk's lean to the neck's own flexion, so no finding is drawn "
            "from it; the neck finding uses the neck-on-trunk angle.",
            "Positive when the ear is forward of the shoulder (toward where the subject faces).",
            _sagittal("SHOULDER", "EAR"), _neck, max_spread=4.0, withheld_by=_STANCE,
            label="Neck inclination (ear–shoulder line from vertical)", short_label="Neck",
            words=SignWords("forward by {a}", "back by {a}", "upright", overlay=("forward", "back")),
            key=True, overlay=True, live=True,
        ),
        MeasureSpec(
            "neck_on_trunk_flexion_deg", "deg", SAGITTAL, ANY_POSTURE,
            "Neck flexion on the trunk: angle of the shoulder-to-ear line relative to the "
            "hip-to-shoulder line (0 when the neck continues the trunk line), the neck angle "
            "RULA scores (McAtamney & Corlett 1993). Uses the near-side hip, shoulder and ear.",
            "Positive when the ear is forward of the trunk line (flexion); negative in extension.",
            _sagittal("HIP", "SHOULDER", "EAR"), _neck_on_trunk, max_spread=5.0, withheld_by=_STANCE,
            label="Neck flexion on the trunk", short_label="Neck/trunk",
            words=SignWords("flexed by {a}", "extended by {a}", "in line with the trunk"),
            region="head and neck",
            grading=Grading("neck_flexion", "Neck likely flexed on the trunk",
                            "The neck line is {by} forward of the trunk line; at a desk, consider screen height.",
                            ("upper trapezius", "levator scapulae", "cervical extensors", "deep neck flexors")),
            better=NECK_NEUTRAL, live=True,
            advice=("Lift your head: bring your ears back over your shoulders (a screen at eye level helps).",) * 2,
        ),
        MeasureSpec(
            "torso_inclination_deg", "deg", SAGITTAL, ANY_POSTURE,
            "Angle of the hip-to-shoulder line against the vertical.",
            "Positive when the shoulder is forward of the hip (forward flexion or lean); negative "
            "when reclined. Only forward values are graded: a supported recline is not a finding.",
            _sagittal("HIP", "SHOULDER"), _torso, max_spread=4.0, withheld_by=_STANCE,
            label="Trunk inclination", short_label="Trunk",
            words=SignWords("forward by {a}", "reclined by {a}", "upright", overlay=("forward", "reclined")),
            region="trunk",
            grading=Grading("torso_flexion", "Trunk likely flexed forward",
                            "The hip-to-shoulder line leans {by} forward of vertical.",
                            ("thoracic erectors", "hip flexors (iliopsoas)", "abdominals", "pectorals")),
            better=UPRIGHT_OR_RECLINED, key=True, overlay=True, live=True,
            advice=("Sit back: let the backrest carry you and bring the chair closer to the desk.",) * 2,
        ),
        MeasureSpec(
            "forward_head_offset_pct", "% torso", SAGITTAL, ANY_POSTURE,
            "Horizontal distance from the shoulder landmark to the ear, as a percentage of the "
            "shoulder-hip distance (scale-free, so photos at any distance compare).",
            "Positive when the ear is forward of the shoulder.",
            _sagittal("SHOULDER", "EAR", "HIP"), _as_pct(_head_offset_px, _torso_px), max_spread=8.0, withheld_by=_STANCE,
            label="Head forward of shoulder (% of trunk length)", short_label="Head forward",
            words=SignWords("ear forward by {a}", "ear behind by {a}", "ear over the shoulder"),
            live=True,
        ),
        MeasureSpec(
            "forward_head_offset_cm", "cm", SAGITTAL, ANY_POSTURE,
            "Horizontal distance from the shoulder landmark to the ear, in centimetres, scaled "
            "from the client's height (standing: ear-ankle height = 0.89 H; seated: knee-ankle "
            "(shank) = 0.246 H, a segment that does not change when the client slumps; about "
            "+-10 % from body proportions).",
            "Positive when the ear is forward of the shoulder.",
            lambda ctx: _sagittal("SHOULDER", "EAR")(ctx) + _scale_landmarks(ctx),
            _as_cm(_head_offset_px), max_spread=3.0, withheld_by=_STANCE, needs_height=True,
            label="Head forward of shoulder",
            words=SignWords("ear forward by {a}", "ear behind by {a}", "ear over the shoulder"),
        ),
        MeasureSpec(
            "trunk_thigh_angle_deg", "deg", SAGITTAL, ANY_POSTURE,
            "Trunk-thigh angle: the angle between the hip-to-shoulder and hip-to-knee lines, given "
            "as its departure from a straight line (0 standing straight, about 90 seated). Not "
            "hip-joint flexion: the trunk line also moves with the spine and the pelvis.",
            "Positive when the thigh is forward of the trunk line (flexion side); negative when "
            "behind it (extension side).",
            _sagittal("SHOULDER", "HIP", "KNEE"), _trunk_thigh, max_spread=6.0, withheld_by=_STANCE,
            label="Trunk–thigh angle", short_label="Trunk-thigh",
            words=SignWords("flexed by {a}", "extended by {a}", "straight", overlay=("flexed", "extended")),
            overlay=True,
        ),
        MeasureSpec(
            "knee_flexion_deg", "deg", SAGITTAL, ANY_POSTURE,
            "How far hip-knee-ankle departs from a straight line (0 straight, about 90 seated).",
            "Positive when the knee is forward of the hip-ankle line (flexion); negative when "
            "behind it (hyperextension).",
            _sagittal("HIP", "KNEE", "ANKLE"), _knee_flexion, max_spread=6.0, withheld_by=_STANCE,
            label="Knee bend", short_label="Knee",
            words=SignWords("bent by {a}", "hyperextended by {a}", "straight", overlay=("bent", "hyperextended")),
            overlay=True,
        ),
    ]
    for part in ("EAR", "SHOULDER", "HIP", "KNEE"):
        px = _plumb_px(part)
        name = part.lower()
        plumb_words = SignWords("forward of the ankle by {a}", "behind the ankle by {a}", "over the ankle")
        table.append(
            MeasureSpec(
                f"{name}_plumb_offset_pct", "% height", SAGITTAL, STANDING,
                f"Plumb-line offset of the {name}: horizontal distance of the {name} landmark from "
                "the vertical through the ankle, as a percentage of the ear-ankle height. A whole-body "
                "sway moves every plumb offset together, so no finding is drawn from these.",
                f"Positive when the {name} is forward of the ankle.",
                _sagittal(part, "ANKLE", "EAR"), _as_pct(px, _ear_ankle_px), max_spread=3.0, withheld_by=_STANCE,
                label=f"{name.capitalize()} from plumb line (% of height)", words=plumb_words,
            )
        )
        table.append(
            MeasureSpec(
                f"{name}_plumb_offset_cm", "cm", SAGITTAL, STANDING,
                f"Horizontal distance of the {name} landmark from the vertical through the ankle, "
                "in centimetres scaled from the client's height (ear-ankle height = 0.89 H).",
                f"Positive when the {name} is forward of the ankle.",
                _sagittal(part, "ANKLE", "EAR"), _as_cm(px), max_spread=4.0, withheld_by=_STANCE, needs_height=True,
                label=f"{name.capitalize()} from plumb line", words=plumb_words,
            )
        )
    return tuple(table)


MEASURES = MeasureTable(_build_table())
#: Old measure names that stored assessments may carry -> the current name.
RENAMED_MEASURES: dict[str, str] = {"hip_flexion_deg": "trunk_thigh_angle_deg"}

#: Beyond this many robust standard deviations from the median, a copy's value is an outlier.
OUTLIER_SIGMAS = 3.0
#: Floor for the robust SD used in outlier rejection, so near-identical copies don't reject
#: a value for being 0.01 deg off.
OUTLIER_FLOOR = {"deg": 1.0, "cm": 0.5}
#: Fewest augmented copies a value must rest on.
MIN_SAMPLES = 3


def _view_text(views: frozenset[ViewName]) -> str:
    return "a front or back view" if views == FRONTAL else "a side view (left or right)"


def aggregate(values: list[float], unit: str) -> tuple[float, float, list[float]]:
    """Robust mean and spread: drop values beyond 3 robust SDs of the median, then
    mean and SD of the rest. Returns (value, spread, inliers)."""
    arr = np.asarray(values, dtype=np.float64)
    med = float(np.median(arr))
    mad_sd = 1.4826 * float(np.median(np.abs(arr - med)))
    floor = OUTLIER_FLOOR.get(unit, 1.0)
    keep = np.abs(arr - med) <= OUTLIER_SIGMAS * max(mad_sd, floor)
    inliers = arr[keep]
    spread = float(np.std(inliers, ddof=1)) if inliers.size > 1 else 0.0
    return float(np.mean(inliers)), spread, inliers.tolist()


def compute_measures(
    consensus: PoseLandmarks,
    views: list[PoseLandmarks],
    ctx: MeasureContext,
    image_size: tuple[int, int],
    names: tuple[str, ...] | None = None,
    photo_landmarks: PoseLandmarks | None = None,
) -> dict[str, Measure]:
    """The measures of the table (all, or those in `names`) for one photo or frame:
    computed on each augmented copy, aggregated.

    `photo_landmarks`: the consensus in the photo's own pixels when `consensus` and `views`
    were levelled (moved by the camera correction), for the "outside the photo" test."""
    out: dict[str, Measure] = {}
    width, height = image_size
    for spec in MEASURES if names is None else (MEASURES[n] for n in names):
        out[spec.name] = _compute_one(spec, consensus, views, ctx, width, height, photo_landmarks or consensus)
    return out


def value_of(spec: MeasureSpec, xy: FloatArray, ctx: MeasureContext) -> float | None:
    """One reading of `spec` on one set of landmarks, or None where it is undefined."""
    square = ctx.view.name.intended_yaw_deg
    if spec.line_turn is not None and ctx.yaw_deg is not None and square is not None:
        ctx = replace(ctx, yaw_deg=spec.line_turn.yaw_deg(ctx.yaw_deg, square))
    try:
        value = spec.compute(xy, ctx)
    except (ValueError, ZeroDivisionError):
        return None
    return value if math.isfinite(value) else None


def _compute_one(
    spec: MeasureSpec,
    consensus: PoseLandmarks,
    views: list[PoseLandmarks],
    ctx: MeasureContext,
    width: int,
    height: int,
    photo_landmarks: PoseLandmarks,
) -> Measure:
    def unavailable(reason: str, confidence: float = 0.0) -> Measure:
        return Measure(spec.name, spec.unit, None, None, confidence, reason)

    if ctx.view.name not in spec.views:
        return unavailable(f"not applicable: needs {_view_text(spec.views)}; this is a {ctx.view.name.value} view")
    if ctx.view.posture not in spec.postures:
        return unavailable(f"not applicable when {ctx.view.posture.value}")
    if spec.needs_height and ctx.height_cm is None:
        return unavailable("client height not given")
    used = spec.landmarks(ctx)
    for lm in used:
        x, y = photo_landmarks.xy[int(lm)]
        if not (0.0 <= x <= width and 0.0 <= y <= height):
            return unavailable(f"{lm.key} is outside the photo")
    vis = min(float(consensus.visibility[int(lm)]) for lm in used)
    if vis < MIN_VISIBILITY:
        worst = min(used, key=lambda lm: float(consensus.visibility[int(lm)]))
        return unavailable(
            f"{worst.key} not visible enough (visibility {vis:.2f} < {MIN_VISIBILITY:.2f})", confidence=vis
        )
    values = [v for v in (value_of(spec, c.xy, ctx) for c in views) if v is not None]
    # A single frame (live) has no repeatability to report; a photo's value must rest on
    # MIN_SAMPLES copies at least, never on one copy with a spread of 0.
    if len(values) < (1 if len(views) == 1 else MIN_SAMPLES):
        return unavailable(f"too few consistent readings ({len(values)} of {len(views)} copies)")
    value, spread, inliers = aggregate(values, spec.unit)
    if spec.valid_range is not None and not (spec.valid_range[0] <= value <= spec.valid_range[1]):
        lo, hi = spec.valid_range
        return unavailable(f"reading of {value:.0f} {spec.unit} is outside {lo:g} to {hi:g}: {spec.range_hint}")
    confidence = vis * max(0.0, 1.0 - spread / spec.max_spread)
    if spread > spec.max_spread:
        return Measure(
            spec.name, spec.unit, None, spread, 0.0,
            # In words a therapist reads: the copies are the model re-reading slightly turned,
            # rescaled and mirrored versions of the same photo.
            f"unstable: the model's repeated readings of this photo spread {spread:.1f} {spec.unit} "
            f"(limit {spec.max_spread:g})",
            tuple(values),
        )
    return Measure(spec.name, spec.unit, value, spread, confidence, None, tuple(inliers))
