"""What the nesting check of webhook bodies costs, on a real update and on 1 MB built to be slow for it.

    python bench/json_bounds.py

No Django needed: neurocards/lib/jsonbody.py is plain Python.
"""

import json
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from neurocards.lib.jsonbody import MAX_BYTES, nesting, parse_json  # noqa: E402

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "telegram" / "callback_query.json"
MB = MAX_BYTES // 2


def main():
    update = FIXTURE.read_bytes()
    bodies = {
        "recorded callback_query": update,
        "1 MB of [[[[…]]]]": b"[" * MB + b"]" * MB,
        "1 MB of [][][]…": b"[]" * MB,
        "1 MB of [[[[[]]]]]…": b"[[[[[]]]]]" * (MAX_BYTES // 10),
        "1 MB of numbers": json.dumps(list(range(150_000))).encode()[:MAX_BYTES],
    }
    for label, body in bodies.items():
        runs = 1000 if len(body) < 10_000 else 5
        seconds = timeit.timeit(lambda body=body: nesting(body), number=runs) / runs
        print(f"{label:28} {len(body):>9} bytes  nesting {seconds * 1000:8.3f} ms")
    plain = timeit.timeit(lambda: json.loads(update), number=1000) / 1000
    bounded = timeit.timeit(lambda: parse_json(update), number=1000) / 1000
    print(f"recorded update: json.loads {plain * 1e6:.1f} µs, parse_json {bounded * 1e6:.1f} µs")


if __name__ == "__main__":
    main()
