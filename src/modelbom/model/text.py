"""Make untrusted strings safe to carry in the model and to serialise.

File names may hold bytes that are not UTF-8 (read through ``surrogateescape``), control
characters (a newline that forges a log line, an escape sequence that rewrites the
terminal) or bidirectional overrides that make ``gpj.exe`` read as ``exe.jpg``; snippets
may hold secrets or be arbitrarily long. These helpers run in the model's validators so
nothing downstream has to remember them.
"""

from __future__ import annotations

import re

from modelbom.redact import redact

SNIPPET_MAX = 200

# Never meaningful in text modelbom shows: C0 controls but tab and line ends, DEL, C1
# controls, and the bidirectional embeddings, overrides and isolates ("Trojan Source").
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# ... and, in a name or a one-line message, every line break and the tab as well.
_UNSAFE_ON_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


# Surrogates that do not stand for an undecodable byte (those are U+DC80..U+DCFF): lone
# halves of a pair, as a JSON or YAML escape such as "\ud800" produces them.
_LONE_SURROGATE = re.compile("[\ud800-\udc7f\udd00-\udfff]")


def display_text(raw: str) -> str:
    """Return *raw* as valid UTF-8 text: undecodable bytes become ``\\xNN`` escapes, lone
    surrogates ``\\uXXXX`` escapes, and control characters (but tab and line ends) and
    bidirectional overrides are escaped."""
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        raw = _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", raw)
        raw = raw.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return _UNSAFE.sub(_escape, raw) if _UNSAFE.search(raw) else raw


def display_name(raw: str) -> str:
    """Like :func:`display_text`, on one line: for file names, ids and reasons.

    Tabs and line breaks are escaped too (``\\x0a``), so a file named to look like a
    second log line or a CI command stays one visible name.
    """
    text = display_text(raw)
    return _UNSAFE_ON_ONE_LINE.sub(_escape, text) if _UNSAFE_ON_ONE_LINE.search(text) else text


def clip_snippet(raw: str) -> str:
    """Return a one-line, redacted snippet of at most :data:`SNIPPET_MAX` characters."""
    # Only the start of a long (minified) line can reach the snippet; cut it first so the
    # cost does not grow with the line. The cut is far enough past SNIPPET_MAX that a
    # secret straddling it lies wholly outside the snippet.
    text = display_name(" ".join(raw[: SNIPPET_MAX * 8].split()))
    text = redact(text)
    if len(text) > SNIPPET_MAX:
        text = text[: SNIPPET_MAX - 1] + "\u2026"
    return text
