#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# gen_json.py OUT [MB] - writes a deterministic JSON array of about MB
# megabytes (default 50) of realistic CI/CD records for bench/json.sh:
# nested objects, strings with escapes and non-ASCII text (raw and \u
# escaped), integers, floats of many magnitudes, booleans and nulls.
# Integers stay within 2^53 and floats within the double range, so every
# tool in the benchmark reads the same values.
import json
import random
import sys

WORDS = ("build deploy verify sign attest scan policy gate release tag commit "
         "artifact image layer digest provenance sbom token lease secret audit "
         "pipeline runner job step cache matrix workflow registry mirror").split()
NAMES = ["Zoë", "José", "Łukasz", "Ørsted", "Ærø", "Müller", "Dvořák", "Çelik",
         "Søren", "Ангелина", "Δημήτρης", "李小龍", "佐藤", "김민준", "محمد", "יוסי",
         "Nguyễn", "Ŝtefano", "ʻOkina"]
EMOJI = ["\U0001F600", "\U0001F680", "\u2705", "\u274C", "\U0001F512", "\u26A0\uFE0F",
         "\U0001F9EA", "\u2699\uFE0F"]
REPOS = ["acme/api", "acme/web", "acme/infra", "tollgate/tollgate", "example/monorepo"]


def sentence(rnd, n):
    words = [rnd.choice(WORDS) for _ in range(n)]
    if rnd.random() < 0.3:
        words.insert(rnd.randrange(len(words) + 1), rnd.choice(NAMES))
    if rnd.random() < 0.2:
        words.append(rnd.choice(EMOJI))
    s = " ".join(words)
    r = rnd.random()
    if r < 0.15:
        s += '\n\tsaid "ok"'            # escapes: newline, tab, quotes
    elif r < 0.25:
        s += " C:\\runner\\work\\" + rnd.choice(WORDS)   # backslashes
    elif r < 0.30:
        s += " \u0001\u001f"            # control characters
    elif r < 0.35:
        s += " </script>"               # a slash (escaped by some emitters)
    return s


def number(rnd):
    r = rnd.random()
    if r < 0.35:
        return rnd.randint(-1000, 100000)
    if r < 0.45:
        return rnd.randint(-2**53, 2**53)
    if r < 0.65:
        return round(rnd.uniform(-1e4, 1e4), rnd.randint(0, 6))
    if r < 0.80:
        return rnd.random()                                   # 17-digit floats
    if r < 0.90:
        return rnd.uniform(1, 10) * 10.0 ** rnd.randint(-30, 30)
    return float(rnd.randint(0, 10**6)) / 8                    # exact binary fractions


def record(rnd, i):
    steps = []
    for k in range(rnd.randint(1, 6)):
        steps.append({
            "name": sentence(rnd, rnd.randint(1, 4)),
            "exit": rnd.choice([0, 0, 0, 1, 2, 137]),
            "seconds": round(rnd.uniform(0, 900), 3),
            "cached": rnd.random() < 0.4,
            "env": {rnd.choice(WORDS).upper() + "_" + str(k): sentence(rnd, 1)
                    for _ in range(rnd.randint(0, 3))},
        })
    return {
        "id": i,
        "uuid": "%032x" % rnd.getrandbits(128),
        "repo": rnd.choice(REPOS),
        "ref": "refs/heads/" + rnd.choice(WORDS),
        "commit": "%040x" % rnd.getrandbits(160),
        "author": {"name": rnd.choice(NAMES), "email": "%s@example.org" % rnd.choice(WORDS),
                   "verified": rnd.random() < 0.7},
        "message": sentence(rnd, rnd.randint(3, 20)),
        "started": "2024-%02d-%02dT%02d:%02d:%02dZ" % (
            rnd.randint(1, 12), rnd.randint(1, 28), rnd.randint(0, 23),
            rnd.randint(0, 59), rnd.randint(0, 59)),
        "score": number(rnd),
        "metrics": [number(rnd) for _ in range(rnd.randint(0, 8))],
        "labels": sorted({rnd.choice(WORDS) for _ in range(rnd.randint(0, 5))}),
        "steps": steps,
        "approved": rnd.choice([True, False, None]),
        "parent": None if rnd.random() < 0.5 else {"id": rnd.randint(0, i + 1), "depth": {
            "level": rnd.randint(0, 9), "path": [rnd.choice(WORDS) for _ in range(3)]}},
    }


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: gen_json.py OUT [MB]")
    target = int(float(sys.argv[2] if len(sys.argv) > 2 else 50) * 1e6)
    rnd = random.Random(20240611)
    size = 0
    i = 0
    with open(sys.argv[1], "w", encoding="utf-8", newline="\n") as f:
        f.write("[\n")
        size += 2
        while size < target:
            # half the records escape non-ASCII as \uXXXX, half keep UTF-8
            text = json.dumps(record(rnd, i), ensure_ascii=(i % 2 == 1),
                              indent=None if i % 3 else 1)
            if i:
                f.write(",\n")
                size += 2
            f.write(text)
            size += len(text.encode("utf-8"))
            i += 1
        f.write("\n]\n")


if __name__ == "__main__":
    main()
