"""The client's self check in plain words: what we see, and one or two things to change.

Written for a person at their desk, not for a therapist: no clinical terms, no numbers in
the main text (they are behind "details" on the page), never two sentences that disagree
(the head's position is said once, and a reclined back is only blamed for a forward head
when the head *is* forward), at most two concrete actions. A photo that is not a side view
gets one sentence asking for a side view and nothing else: a front photo cannot show how
far the head sits forward.

Pure functions of the readings, so every combination can be tested.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from posture.core.assessment import Assessment
from posture.core.body.views import Posture

#: The one thing said about a photo that is not a side view (front, back, turned).
NEEDS_SIDE_VIEW = ("This check needs a side view: sit side-on to the camera, with your head, shoulders and hips "
                   "in view, and take the photo again.")
#: The one thing said when the ear, shoulder and hip could not be found.
NOT_SEEN = ("We could not see your ear, shoulder and hip clearly. Sit side-on to the camera, with your head to "
            "your hips in view and nothing in front of you, and take the photo again.")
CLOSING = ("This is a quick check, not a diagnosis. If something hurts, or you feel numbness or tingling, "
           "talk to your therapist or a doctor.")

#: Head forward of the vertical through the shoulder (neck inclination), degrees: above
#: `HEAD_LITTLE` a little forward, above `HEAD_FORWARD` well forward.
HEAD_LITTLE, HEAD_FORWARD = 25.0, 35.0
#: Trunk from the vertical, degrees: + forward, - reclined.
LEAN_LITTLE, LEAN_LOT, RECLINE = 10.0, 20.0, -20.0


class Head(Enum):
    OVER = "over the shoulders"
    LITTLE = "a little forward"
    FORWARD = "well forward"
    UNKNOWN = "not seen"


class Trunk(Enum):
    UPRIGHT = "upright"
    LEAN_LITTLE = "leaning a little"
    LEAN_LOT = "leaning a lot"
    RECLINED = "reclined"
    UNKNOWN = "not seen"


def head_state(neck_deg: float | None) -> Head:
    if neck_deg is None:
        return Head.UNKNOWN
    if neck_deg > HEAD_FORWARD:
        return Head.FORWARD
    return Head.LITTLE if neck_deg > HEAD_LITTLE else Head.OVER


def trunk_state(trunk_deg: float | None) -> Trunk:
    if trunk_deg is None:
        return Trunk.UNKNOWN
    if trunk_deg > LEAN_LOT:
        return Trunk.LEAN_LOT
    if trunk_deg > LEAN_LITTLE:
        return Trunk.LEAN_LITTLE
    return Trunk.RECLINED if trunk_deg < RECLINE else Trunk.UPRIGHT


@dataclass(frozen=True)
class SelfCheckAdvice:
    """`only` set: the single sentence to show, nothing else (not a side view, nothing seen).
    Otherwise a headline, what we see (one sentence per thing, none contradicting another),
    one or two actions, and the closing note."""

    only: str | None
    headline: str = ""
    seen: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    head: Head = Head.UNKNOWN
    trunk: Trunk = Trunk.UNKNOWN

    @property
    def closing(self) -> str:
        return "" if self.only else CLOSING

    def lines(self) -> list[str]:
        """Everything said, in reading order (for plain-text use and the tests)."""
        if self.only:
            return [self.only]
        return [self.headline, *self.seen, *self.actions, self.closing]


def _seen(head: Head, trunk: Trunk, seated: bool) -> tuple[str, ...]:
    """One sentence for the head and one for the back, or a single sentence for both where
    one explains the other (reclined with the head forward)."""
    if trunk is Trunk.RECLINED and head in (Head.LITTLE, Head.FORWARD):
        way = "well" if head is Head.FORWARD else "a little"
        return (f"You sit leaning back, and your head reaches {way} forward, probably to see the screen.",)
    out: list[str] = []
    out.append({
        Head.OVER: "Your head sits well over your shoulders.",
        Head.LITTLE: "Your head is a little forward of your shoulders.",
        Head.FORWARD: "Your head is well forward of your shoulders.",
        Head.UNKNOWN: "Your head could not be seen clearly enough to check.",
    }[head])
    rest = "the backrest" if seated else "your feet"
    out.append({
        Trunk.UPRIGHT: "Your back is close to upright.",
        Trunk.LEAN_LITTLE: "You lean forward a little.",
        Trunk.LEAN_LOT: "You lean forward a lot.",
        Trunk.RECLINED: f"You sit leaning back, with your head still over your shoulders: {rest} takes your weight.",
        Trunk.UNKNOWN: "Your back could not be seen clearly enough to check.",
    }[trunk])
    if trunk is Trunk.RECLINED:  # the reclined sentence already says where the head is
        out = out[1:]
    return tuple(out)


MOVE_OFTEN = "Get up and move for a minute or two every half hour: even a good position gets tiring when held for hours."


def _actions(head: Head, trunk: Trunk, seated: bool) -> tuple[str, ...]:
    """The most useful one or two changes, most important first; "move often" fills in."""
    todo: list[str] = []
    if trunk is Trunk.LEAN_LOT:
        todo.append("Move your chair closer to the desk and sit back, so the backrest supports your lower back."
                    if seated else "Stand tall with your weight over both feet, instead of leaning toward the desk.")
    if head is Head.FORWARD or (head is Head.LITTLE and trunk is Trunk.RECLINED):
        todo.append("Bring the screen closer, or sit a little more upright, so you can see it without pushing your "
                    "head forward." if trunk is Trunk.RECLINED else
                    "Raise your screen so its top is at eye level, about an arm's length away, so you can look "
                    "straight ahead.")
    if trunk is Trunk.LEAN_LITTLE:
        todo.append("Sit back in your chair so the backrest supports you." if seated
                    else "Stand tall with your weight over both feet.")
    if head is Head.LITTLE and trunk is not Trunk.RECLINED:
        todo.append(f"Every half hour or so, {'sit' if seated else 'stand'} tall and gently draw your chin back "
                    "for a few breaths.")
    todo = todo[:2]
    if len(todo) < 2:
        todo.append(MOVE_OFTEN)
    return tuple(todo)


def advise(side_view: bool, neck_deg: float | None, trunk_deg: float | None, *, seated: bool = True) -> SelfCheckAdvice:
    """The self check's words from the two readings that matter at a desk: how far the head
    sits forward of the shoulders (degrees from vertical) and the trunk's lean (+ forward,
    - reclined). `side_view`: the photo is a left or right view."""
    if not side_view:
        return SelfCheckAdvice(only=NEEDS_SIDE_VIEW)
    head, trunk = head_state(neck_deg), trunk_state(trunk_deg)
    if head is Head.UNKNOWN and trunk is Trunk.UNKNOWN:
        return SelfCheckAdvice(only=NOT_SEEN)
    problems = sum((head in (Head.LITTLE, Head.FORWARD), trunk in (Trunk.LEAN_LITTLE, Trunk.LEAN_LOT)))
    if problems == 0 and head is not Head.UNKNOWN and trunk is not Trunk.UNKNOWN:
        headline = "Your position looks good."
    elif problems == 0:
        headline = "What could be seen looks good."
    else:
        headline = "A small change or two could make long hours easier on your neck and back."
    return SelfCheckAdvice(None, headline, _seen(head, trunk, seated), _actions(head, trunk, seated), head, trunk)


def self_check_advice(a: Assessment) -> SelfCheckAdvice:
    """`advise` on an assessed photo."""
    return advise(a.view.name.is_sagittal, a.measures["neck_inclination_deg"].value,
                  a.measures["torso_inclination_deg"].value, seated=a.view.posture is not Posture.STANDING)
