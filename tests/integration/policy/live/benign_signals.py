#!/usr/bin/env python3
"""Counts the signals the benign workload raised (benign.sh).

Usage: benign_signals.py SIGNALS.json WORKLOAD_PID TMP_PROGRAM VIGILD_PID

A signal belongs to the workload when its process is WORKLOAD_PID or
has it among its ancestors; other sessions on the host do not count,
and signals without a process are listed apart.
Signals of TMP_PROGRAM (the compiled program run from /tmp) are listed
apart: that run is not benign by the policy's measure; so are the
harness's own: the agent's start and stop and the script's SIGTERM to
VIGILD_PID (vigil_process_killed is right to fire on that), and the
agent's other events (the host's audit loss: every source gives its
agent events the agent's own process).  Prints the
counts by severity and each low/medium rule with an example process,
and exits 1 when a high or critical signal belongs to the workload.
"""

import collections
import json
import sys

GATED = ("high", "critical")
ORDER = ("critical", "high", "medium", "low", "info")


def main():
    if len(sys.argv) != 5:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    root = int(sys.argv[2])
    tmp_prog = sys.argv[3]
    vigild = int(sys.argv[4])
    ours, tmp_run, harness = [], [], []
    unattributed = collections.Counter()
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            s = json.loads(line)
            p = s.get("process") or {}
            anc = [a.get("pid") for a in p.get("ancestors") or []]
            target = ((s.get("kill") or {}).get("target") or {}).get("pid")
            if p.get("pid") == vigild or target == vigild:
                harness.append(s)
                continue
            if not p.get("pid"):
                unattributed[s["signal"]["rule"]] += 1
                continue
            if p.get("pid") != root and root not in anc:
                continue
            exe = (p.get("file") or {}).get("path") or ""
            (tmp_run if exe == tmp_prog else ours).append(s)
    by_sev = collections.Counter(s["signal"]["severity"] for s in ours)
    print("benign workload: %d signals: %s" % (len(ours), ", ".join(
        "%s %d" % (k, by_sev.get(k, 0)) for k in ORDER)))
    by_rule = collections.OrderedDict()
    for s in ours:
        by_rule.setdefault((s["signal"]["severity"], s["signal"]["rule"]),
                           []).append(s)
    bad = 0
    for (sev, rule), sigs in sorted(by_rule.items(),
                                    key=lambda kv: ORDER.index(kv[0][0])):
        p = sigs[0].get("process") or {}
        print("  %-8s %-40s x%d  e.g. %s %s" % (
            sev, rule, len(sigs), (p.get("file") or {}).get("path"),
            " ".join(p.get("argv") or [])[:100]))
        if sev in GATED:
            bad += len(sigs)
    print("the harness and the agent: %s" % ", ".join(
        "%s (%s)" % (s["signal"]["rule"], s["signal"]["severity"])
        for s in harness))
    print("without a process (not counted; the host's, e.g. audit loss): %s"
          % (", ".join("%s x%d" % kv for kv in unattributed.items())
             or "none"))
    print("the same program run from /tmp: %s" % (", ".join(
        "%s (%s)" % (s["signal"]["rule"], s["signal"]["severity"])
        for s in tmp_run) or "nothing"))
    if bad:
        print("FAIL: %d high/critical signals on the benign workload" % bad)
        return 1
    print("PASS: no high or critical signal on the benign workload")
    return 0


if __name__ == "__main__":
    sys.exit(main())
