"""What every page of the app runs inside: the privacy guard, the page style, the store
(opened once per server) and our errors shown as one-line messages, never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from posture.core.errors import PostureError
from posture.report.markdown import md_escape
from posture.store.records import Store

from .auth import app_mode
from .launch_policy import network_problem


def privacy_problems() -> list[str]:
    """Why the running server would leak client data, in plain words (empty when it is safe)."""
    problems = []
    if st.get_option("browser.gatherUsageStats"):
        problems.append("usage statistics are switched on (browser.gatherUsageStats)")
    problem = network_problem(st.get_option("server.address") or "")
    if problem is not None:
        problems.append(problem)
    return problems


def privacy_guard() -> None:
    """Refuse to run (before any client data is read) unless the privacy settings hold,
    whichever folder the app was started from."""
    problems = privacy_problems()
    if problems:
        st.error("This app holds health data and will not run like this: " + "; ".join(problems)
                 + ". Start it with `make run` or `python -m posture.ui.serve`, which set this right.")
        st.stop()


def page_style() -> None:
    """Long words (URLs) in user text wrap instead of overflowing their column. A live
    video (streamlit-webrtc) is no wider than lets its 4:3 picture and the buttons under it
    fit the window's height (st.camera_input limits its own height already). The uploaders'
    own "Limit 100MB per file" line is hidden: the server's limit is not the photo limit
    (their labels give that, see posture.ui.photo_results.UPLOAD_LIMIT_MB)."""
    st.html("<style>[data-testid='stMarkdownContainer'], [data-testid='stText']"
            "{overflow-wrap:anywhere}"
            # Not in tables: "anywhere" lets a column shrink below its longest word, and at
            # tablet width the measure names broke mid-word ("Craniov ertebra l").
            "[data-testid='stMarkdownContainer'] :is(th, td){overflow-wrap:break-word}"
            "iframe[title*='streamlit_webrtc']{max-width:max(320px, calc((100vh - 220px) * 4 / 3))}"
            "[data-testid=stFileUploaderDropzoneInstructions]{display:none}</style>")


@contextmanager
def errors_shown() -> Iterator[None]:
    """Run a page so that our errors stop it with their one-line message, never a traceback.

    A client deleted or unshared by someone else meanwhile, a damaged photo file, a refused
    action: each is a PostureError with a message written for the user.
    """
    try:
        yield
    except PostureError as exc:
        st.error(md_escape(str(exc)))


@st.cache_resource(show_spinner=False)
def get_store() -> Store:
    """The local database (POSTURE_DATA_DIR or ~/.posture), opened once per server.

    In clinic mode a store call that names no user is refused rather than acting as solo.
    """
    return Store(refuse_solo=app_mode() == "clinic")
