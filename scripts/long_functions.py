#!/usr/bin/env python3
"""Lists functions outside tests that run over a limit of lines (default 100).

A function is measured from its `fn` line to the closing brace at the same
indentation, as rustfmt lays code out. Test modules (`#[cfg(test)]` at the
top level, always last in a file here) are not counted. Exits 1 when any
function is over the limit, so CI can hold the line.

    python3 scripts/long_functions.py [--limit 100] [src]
"""
import argparse
import pathlib
import re
import sys

FN = re.compile(r"^(\s*)(?:pub(?:\([^)]*\))?\s+)?(?:const\s+)?(?:async\s+)?(?:unsafe\s+)?fn\s+(\w+)")


def functions(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if line.startswith("#[cfg(test)]"):
            return
        m = FN.match(line)
        if not m:
            continue
        indent = m.group(1)
        # A declaration without a body (a trait method) ends with `;`.
        j = i
        while j < len(lines) and not lines[j].rstrip().endswith(("{", ";")):
            j += 1
        if j >= len(lines) or lines[j].rstrip().endswith(";"):
            continue
        for k in range(j + 1, len(lines)):
            if lines[k] == indent + "}":
                yield m.group(2), i + 1, k - i + 1
                break


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=100)
    ap.add_argument("root", nargs="?", default="src")
    args = ap.parse_args()
    long = []
    for path in sorted(pathlib.Path(args.root).rglob("*.rs")):
        for name, line, length in functions(path):
            if length > args.limit:
                long.append((length, f"{path}:{line}", name))
    for length, place, name in sorted(long, reverse=True):
        print(f"{length:5} {place} {name}")
    if long:
        print(f"{len(long)} function(s) over {args.limit} lines", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
