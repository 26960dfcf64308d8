# SPDX-License-Identifier: Apache-2.0
# procs.py - the child processes of tollgated for the daemon cases (not a
# case): prints "ROLE PID" per child of PARENT, where an api worker is a
# child that holds the listening socket on PORT and the others are named
# by their order of birth (signer, store, then the JWKS fetcher).
#   procs.py PARENT PORT
import os, sys

parent, port = int(sys.argv[1]), int(sys.argv[2])
inodes = set()
for f in ("/proc/net/tcp", "/proc/net/tcp6"):
    try:
        lines = open(f).read().splitlines()[1:]
    except OSError:
        continue
    for l in lines:
        c = l.split()
        if int(c[1].split(":")[1], 16) == port and c[3] == "0A":  # LISTEN
            inodes.add(c[9])
kids = []
for p in os.listdir("/proc"):
    if not p.isdigit():
        continue
    try:
        st = open(f"/proc/{p}/stat").read()
    except OSError:
        continue
    fields = st[st.rindex(")") + 2:].split()
    if int(fields[1]) == parent:
        kids.append((int(fields[19]), int(p)))  # start time, pid
others = []
for _, pid in sorted(kids):
    socks = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                t = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if t.startswith("socket:["):
                socks.add(t[8:-1])
    except OSError:
        continue
    if socks & inodes:
        print("worker", pid)
    else:
        others.append(pid)
for role, pid in zip(("signer", "store", "fetcher"), others):
    print(role, pid)
