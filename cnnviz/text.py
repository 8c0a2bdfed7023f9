"""User-supplied text shown as text: escaped before it reaches Markdown, and capped in length.

Run, class, file and dataset names, and anything a link carries, are written by someone else
than the reader (another student, whoever made the link): ``plain`` makes them plain text in
Streamlit's Markdown (no links, images, emphasis or HTML), on one line, at most ``MAX_NAME``
characters.
"""

from __future__ import annotations

import re

MAX_NAME = 80
# Markdown's and Streamlit's active characters (":" starts emoji and colour syntax), and an underscore
# that could open emphasis (one inside a word cannot).
_MARKDOWN = re.compile(r"[\\`*\[\]()<>#|~:$!]|(?<![^\W_])_|_(?![^\W_])")
# A bare address becomes a link after the escapes are read: an invisible word joiner (U+2060) breaks it.
_BARE_LINK = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?<=@)", re.IGNORECASE)


def shorten(text: object, limit: int = MAX_NAME) -> str:
    """``text`` on one line, cut to ``limit`` characters (an ellipsis marks the cut)."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def plain(text: object, limit: int = MAX_NAME) -> str:
    """``text`` shortened and escaped so that Markdown shows it as written (no link, image, emphasis or HTML)."""
    escaped = _MARKDOWN.sub(lambda match: "\\" + match.group(), shorten(text, limit))
    return _BARE_LINK.sub("\u2060", escaped)


_PATH = re.compile(r"(?<![\w.])(?:~|\.{1,2})?(?:/[^\s/'\"(),:;]+)+/?")


def without_paths(text: object, limit: int = 300) -> str:
    """An error's text for the user: every file path cut to its last name, on one line, shortened.
    (The whole error goes to the server log.)"""
    return shorten(_PATH.sub(lambda match: match.group().rstrip("/").rsplit("/", 1)[-1], str(text)), limit)


def error_message(error: BaseException) -> str:
    """``without_paths`` of an exception's message (its type's name when it has none)."""
    return without_paths(str(error) or type(error).__name__)
