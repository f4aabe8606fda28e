"""Output files of the command line: never one of the photos it reads.

`posture assess copy.jpg --json copy.jpg` used to replace the photo with JSON, and
`--annotate copy.jpg` with the drawing: a client's photo lost without a word. Every command
checks its outputs against its inputs before any work, and refuses a data file (JSON, CSV,
Parquet) named like a photo, the usual slip behind it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from posture.core.image.imaging import ACCEPTED_EXTENSIONS

from .errors import UsageError


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name one file (links and `./` included); False if either is missing."""
    try:
        return os.path.samefile(Path(a).expanduser(), Path(b).expanduser())
    except OSError:
        return Path(a).expanduser().resolve() == Path(b).expanduser().resolve()


def check_outputs(
    inputs: Iterable[str | Path], outputs: Iterable[tuple[str, str | Path]], *, data: Iterable[str] = ()
) -> None:
    """Refuse (UsageError, exit 2) an output that is one of the inputs, or a data output (its
    option named in `data`) whose name ends like a photo's. `outputs`: (option, path) pairs;
    "-" (standard output) is never a file."""
    given = [Path(i) for i in inputs]
    data_options = set(data)
    for option, target in outputs:
        if str(target) == "-":
            continue
        path = Path(target)
        for source in given:
            if same_file(path, source):
                raise UsageError(f"{option} {path} is the input photo {source}: writing it would destroy the photo; "
                                 "choose another file name")
        if option in data_options and path.suffix.lower().lstrip(".") in ACCEPTED_EXTENSIONS:
            raise UsageError(f"{option} {path}: a data file named like a photo; give it its own name "
                             f"(e.g. {path.with_suffix('.json' if option != '--out' else '.parquet').name}, "
                             "or - for standard output where the option allows it)")
