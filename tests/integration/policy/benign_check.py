#!/usr/bin/env python3
"""Writes a copy of the default policy in which every high and critical
rule also carries the benign workload's events as no_match tests.

`vigilctl rules test` on the copy then proves that no high or critical rule
fires on the benign workload (issue 5, proof 3); low and medium rules are
left alone, and the script prints which of them the events would reach
only when run by the engine (it does not evaluate anything itself).

Usage: benign_check.py POLICY_DIR EVENTS.yaml OUT_DIR
"""

import os
import sys

import yaml

GATED = ("high", "critical")


class NoAliasDumper(yaml.SafeDumper):
    """The rule loader refuses YAML aliases: write shared events out."""

    def ignore_aliases(self, data):
        return True


def main():
    if len(sys.argv) != 4:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    policy_dir, events_file, out_dir = sys.argv[1:]
    with open(events_file, encoding="utf-8") as f:
        events = yaml.safe_load(f)
    if not isinstance(events, list) or not events:
        print("benign_check: no events in %s" % events_file, file=sys.stderr)
        return 2
    gated = 0
    for name in sorted(os.listdir(policy_dir)):
        if not name.endswith(".yaml"):
            continue
        with open(os.path.join(policy_dir, name), encoding="utf-8") as f:
            doc = yaml.safe_load(f) or []
        for entry in doc:
            if "rule" in entry and entry.get("severity") in GATED:
                tests = entry.setdefault("tests", {})
                tests["no_match"] = list(tests.get("no_match") or []) + events
                gated += 1
        with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
            yaml.dump(doc, f, Dumper=NoAliasDumper, sort_keys=False,
                      width=1000)
    print("benign_check: %d events added to %d high/critical rules"
          % (len(events), gated))
    return 0


if __name__ == "__main__":
    sys.exit(main())
