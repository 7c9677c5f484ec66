"""Make untrusted strings safe to carry in the model and to serialise.

File names may hold bytes that are not UTF-8 (read through ``surrogateescape``), and
snippets may hold secrets or be arbitrarily long. These helpers run in the model's
validators so nothing downstream has to remember them.
"""

from __future__ import annotations

import re

from modelbom.redact import redact

SNIPPET_MAX = 200

# Surrogates that do not stand for an undecodable byte (those are U+DC80..U+DCFF): lone
# halves of a pair, as a JSON or YAML escape such as "\ud800" produces them.
_LONE_SURROGATE = re.compile("[\ud800-\udc7f\udd00-\udfff]")


def display_text(raw: str) -> str:
    """Return *raw* as valid UTF-8 text: undecodable bytes become ``\\xNN`` escapes and
    lone surrogates ``\\uXXXX`` escapes."""
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        text = _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", raw)
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return raw


def clip_snippet(raw: str) -> str:
    """Return a one-line, redacted snippet of at most :data:`SNIPPET_MAX` characters."""
    # Only the start of a long (minified) line can reach the snippet; cut it first so the
    # cost does not grow with the line. The cut is far enough past SNIPPET_MAX that a
    # secret straddling it lies wholly outside the snippet.
    text = " ".join(display_text(raw[: SNIPPET_MAX * 8]).split())
    text = redact(text)
    if len(text) > SNIPPET_MAX:
        text = text[: SNIPPET_MAX - 1] + "\u2026"
    return text
