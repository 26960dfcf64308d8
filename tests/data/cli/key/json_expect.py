# SPDX-License-Identifier: Apache-2.0
# json_expect.py FILE CHECK... - checks members of the JSON object in FILE
# in one process: NAME=VALUE (the member is the string VALUE) or -NAME (the
# member is absent). Prints what differs and exits 1.
import json
import sys

obj = json.load(open(sys.argv[1]))
bad = []
for check in sys.argv[2:]:
    if check.startswith("-"):
        if check[1:] in obj:
            bad.append("%s is present" % check[1:])
        continue
    name, _, want = check.partition("=")
    if obj.get(name) != want:
        bad.append("%s is %r, want %r" % (name, obj.get(name), want))
for b in bad:
    print("json_expect: " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
