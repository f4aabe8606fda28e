"""Names for downloaded files: the client's name made safe for any file system."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

#: Letters NFKD does not take apart ("Ł" is not "L" + a mark).
_ASCII_LETTERS = str.maketrans({"Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d", "Þ": "Th",
                                "þ": "th", "ß": "ss", "Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe", "ı": "i"})


def download_name(client: str, when: dt.date | dt.datetime, ext: str, kind: str = "summary") -> str:
    """"Zofia-Lukasiewicz-2024-05-03-summary.pdf": the client's name reduced to ASCII letters,
    digits and hyphens (a name with none of them, e.g. in Chinese, becomes "client"), at
    most 40 characters; never a path, a hidden file or a character a file system refuses."""
    ascii_name = unicodedata.normalize("NFKD", client.translate(_ASCII_LETTERS)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-")[:40].strip("-") or "client"
    day = when.date() if isinstance(when, dt.datetime) else when
    return f"{slug}-{day:%Y-%m-%d}-{kind}.{ext.lstrip('.')}"
