"""Keep the libraries' own chatter off a user's terminal.

MediaPipe, TensorFlow Lite, absl and OpenCV's camera back-ends write their logs from C++
straight to file descriptor 2 ("INFO: Created TensorFlow Lite XNNPACK delegate for CPU.",
"W0000 00:00:... inference_feedback_manager.cc:114] ...", "[ WARN:0@0.45] global
cap_v4l.cpp ..."). GLOG_minloglevel and TF_CPP_MIN_LOG_LEVEL do not stop them (measured:
absl logs before InitializeLog and TFLite's own INFO lines ignore both), and Python's
sys.stderr is not where they write. What works is pointing descriptor 2 at /dev/null while
the libraries run, with Python's sys.stderr moved to a copy of the real descriptor so our
own messages (errors, alerts, progress) still reach the user.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Iterator


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Descriptor 2 goes to /dev/null for the block; `sys.stderr` keeps writing to the real
    stderr (a line-buffered copy of the original descriptor). Both are restored on exit,
    also when the block raises. A no-op when stderr is not a real file (pytest's capture):
    then nothing native reaches it anyway."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)
    python_stderr = sys.stderr
    sys.stderr = open(saved, "w", encoding=python_stderr.encoding or "utf-8",  # closed below
                      errors="backslashreplace", buffering=1, closefd=False)
    try:
        yield
    finally:
        sys.stderr.flush()
        sys.stderr.close()
        sys.stderr = python_stderr
        os.dup2(saved, fd)
        os.close(saved)


@contextlib.contextmanager
def library_output_silenced() -> Iterator[None]:
    """Native logs off (see `native_stderr_silenced`) and Python warnings from other packages
    off (PIL's "Corrupt EXIF data", which we either survive or report ourselves); warnings
    raised by `posture` itself still show."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warnings.filterwarnings("default", module=r"posture(\.|$)")
        with native_stderr_silenced():
            yield
