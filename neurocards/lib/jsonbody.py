"""JSON bodies of webhooks, parsed with bounds: size and nesting are checked before the parser runs.

json.loads recurses once per nesting level, so `[[[[…]]]]` a few thousand deep raises RecursionError
(not ValueError), and a merely deep document that parses still crashes later code that walks it
(python-telegram-bot's de_json, Django's JSONField). No webhook we take nests more than a handful of
levels, so anything deeper is junk, refused like any other.
"""

import json
import operator
import re
from itertools import accumulate

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 32

# A JSON string (escapes included) in one regex match: brackets inside strings don't nest anything.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))
_ONE_KIND = bytes.maketrans(b"{}", b"[]")  # a `[}` mismatch is json.loads's to refuse, not ours
_INNERMOST = re.compile(rb"\[\]")
_OPENERS = re.compile(rb"\[+")


def parse_json(body, *, max_bytes=MAX_BYTES, max_depth=MAX_DEPTH):
    """The decoded body; ValueError when it is not JSON, is over max_bytes or nests deeper than max_depth."""
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogatepass")
    if len(body) > max_bytes:
        raise ValueError(f"body over {max_bytes} bytes")
    if nesting(body) > max_depth:
        raise ValueError(f"nested deeper than {max_depth}")
    try:
        return json.loads(body)
    except RecursionError:  # unreachable after the depth check; kept so no parser change can make it a 500
        raise ValueError("nested too deep") from None


def nesting(body):
    """How deep the brackets outside strings nest, in C-speed passes (no Python loop per byte).

    A closer before any opener counts as infinitely deep: it is not JSON either way.
    """
    brackets = _STRING.sub(b"", body).translate(_ONE_KIND, _NOT_BRACKETS)
    peeled = 0
    # Peeling the innermost pairs first makes the many tiny runs of `[][][]`-like bodies vanish.
    while peeled < 4 and brackets:
        brackets, removed = _INNERMOST.subn(b"", brackets)
        if not removed:
            break
        peeled += 1
    if not brackets:
        return peeled
    runs = _OPENERS.split(brackets)
    if runs[0]:
        return float("inf")
    closers = [len(run) for run in runs[1:]]
    # The depth at the end of opener run i is (openers - closers up to and including run i) + closers_i.
    levels = accumulate(map(operator.sub, map(len, _OPENERS.findall(brackets)), closers))
    return peeled + max(map(operator.add, levels, closers))
