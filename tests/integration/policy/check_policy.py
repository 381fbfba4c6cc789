#!/usr/bin/env python3
"""Structural check of the default policy (rules/default/*.yaml).

It does not evaluate rules (vigilctl rules test does that); it checks what a
reviewer would otherwise check by hand, so the policy cannot drift:

  * every entry is a rule, macro or list; ids are unique snake_case;
  * a rule has description (one line), expression, severity, tags,
    remediation and tests with at least one match and one no_match event;
  * tags: at least one technique:Tnnnn[.nnn] and tactic:TAnnnn, exactly one
    monitor:<process|file|kernel|dns|agent> equal to the file's name, and
    compliance tags in the pci-dss:/cis:/nist: formats;
  * every field named in an expression, exception or every_key exists in the
    field registry, and every key of a test event is a stored (not derived)
    field; bare names are defined macros or lists;
  * counts rules per monitor and requires at least --min-rules in total.

The field registry comes from `VIGILCTL rules fields` when that command
works, else from the checked-in snapshot (tests/fixtures/policy/fields.txt,
a copy of the registry listing with its alias footnote).

Usage: check_policy.py [--fields FILE] [--vigilctl PATH] [--min-rules N]
                       [--quiet] POLICY_DIR
Exit status: 0 clean, 1 problems found, 2 usage or I/O error.
"""

import argparse
import os
import re
import subprocess
import sys

import yaml

MONITORS = ("process", "file", "kernel", "dns", "agent")
SEVERITIES = ("info", "low", "medium", "high", "critical")
RULE_KEYS = {"rule", "description", "title", "expression", "severity", "tags",
             "remediation", "enabled", "every", "every_key", "exceptions",
             "tests"}
MACRO_KEYS = {"macro", "expression", "description"}
LIST_KEYS = {"list", "items", "description"}
ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
TAG_RES = {
    "technique": re.compile(r"^T[0-9]{4}(\.[0-9]{3})?$"),
    "tactic": re.compile(r"^TA[0-9]{4}$"),
    "monitor": re.compile(r"^(%s)$" % "|".join(MONITORS)),
    "pci-dss": re.compile(r"^[0-9]+(\.[0-9]+){0,3}$"),
    "cis": re.compile(r"^[0-9]+(\.[0-9]+){0,4}$"),
    "nist": re.compile(r"^[A-Z]{2}-[0-9]+(\([0-9]+\))?$"),
}

# Objects with the same sub-fields as process.* (fields.txt footnote).
PROCESS_ALIASES = ("process.parent", "exec", "exit", "ptrace.tracee",
                   "process_vm_writev.target", "kill.target")
FILE_EVENTS = ("open", "create", "modify", "unlink", "rename", "chmod",
               "chown", "setxattr", "removexattr", "link", "symlink",
               "utimes", "mkdir", "rmdir")
# Computed from other fields: a test event gives the source instead
# (file.path for file.name, process.argv for process.args ...).
DERIVED_FILE_RE = re.compile(r"(^|\.)(file|destination)\.(name|dir|extension)$")
DERIVED_LEAVES = ("argv0", "args", "args_flags", "args_options", "is_kthread",
                  "is_container")
DERIVED_PREFIXES = ("exec.", "exit.", "process.parent.", "container.",
                    "dns.resolver.") + tuple(e + ".file." for e in FILE_EVENTS)
# Stored for ancestors although rules see only the derived args/argv0.
EXTRA_TEST_KEYS = {"process.ancestors.argv"}


def fields_from_listing(text):
    """Field names from a registry listing: the first word of each line.

    Expands the footnote aliases of the fields.txt format (process.parent.*,
    exec.*, <evt>.file.* ...); a full `vigilctl rules fields` listing
    already contains them, and expanding again is harmless.
    """
    names = set()
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word = line.split()[0]
        if re.match(r"^[a-z_][a-z0-9_.]*$", word):
            names.add(word)
    process_sub = {n[len("process."):] for n in names
                   if n.startswith("process.")
                   and not n.startswith(("process.ancestors.",
                                         "process.parent."))}
    file_sub = {n[len("file."):] for n in names if n.startswith("file.")}
    for alias in PROCESS_ALIASES:
        names.update(alias + "." + s for s in process_sub)
    for evt in FILE_EVENTS:
        names.update(evt + ".file." + s for s in file_sub)
    return names


def load_fields(args):
    """Returns (set of field names, where they came from)."""
    exe = args.vigilctl
    if exe and os.access(exe, os.X_OK):
        try:
            out = subprocess.run([exe, "rules", "fields"], check=True,
                                 capture_output=True, text=True, timeout=30)
            names = fields_from_listing(out.stdout)
            if len(names) > 50:
                return names, "%s rules fields" % exe
        except (OSError, subprocess.SubprocessError):
            pass
    with open(args.fields, encoding="utf-8") as f:
        return fields_from_listing(f.read()), args.fields


TOKEN_RE = re.compile(r"""
    (?P<ws>\s+)
  | (?P<str>r?"(?:[^"\\]|\\.)*")
  | (?P<lbr>\[) | (?P<rbr>\]) | (?P<lp>\() | (?P<rp>\))
  | (?P<op>&&|\|\||==|!=|<=|>=|=~|!~|<|>|&|!|,)
  | (?P<word>[^\s"\[\]()&|=!<>,]+)
""", re.X)
COMPARE_OPS = {"==", "!=", "<=", ">=", "=~", "!~", "<", ">", "&", "in"}
KEYWORDS = {"and", "or", "not", "in", "true", "false"}


def expression_names(expr):
    """Yields (kind, name) for the names an expression refers to.

    kind is "field" for a dotted name in operand position, "bare" for an
    undotted one (a macro), "list" for a bare name right after in or =~.
    Literals after an operator and everything inside [ ] are skipped.
    """
    depth = 0
    prev = None
    for m in TOKEN_RE.finditer(expr):
        kind = m.lastgroup
        tok = m.group(kind)
        if kind == "ws":
            continue
        if kind == "lbr":
            depth += 1
        elif kind == "rbr":
            depth -= 1
        elif depth == 0 and kind == "word":
            if tok in KEYWORDS:
                pass
            elif prev in COMPARE_OPS:
                if prev in ("in", "=~", "!~") and ID_RE.match(tok):
                    yield "list", tok
            elif "." in tok:
                yield "field", tok
            elif ID_RE.match(tok):
                yield "bare", tok
        if kind != "ws":
            prev = tok if kind in ("op", "word") else kind
            if prev == "not" and tok == "not":
                prev = "not"


def strip_length(name):
    return name[:-len(".length")] if name.endswith(".length") else name


def flatten_event(ev, prefix=""):
    """Yields the dotted key of every leaf of a test event."""
    for key, val in ev.items():
        path = prefix + str(key)
        if isinstance(val, dict):
            yield from flatten_event(val, path + ".")
        elif isinstance(val, list) and val and isinstance(val[0], dict):
            for item in val:
                yield from flatten_event(item, path + ".")
        else:
            yield path


class Checker:
    def __init__(self, fields):
        self.fields = fields
        self.problems = []
        self.rules = []  # (file, entry)
        self.macros = {}
        self.lists = {}

    def err(self, where, msg):
        self.problems.append("%s: %s" % (where, msg))

    def load(self, path):
        with open(path, encoding="utf-8") as f:
            try:
                doc = yaml.safe_load(f)
            except yaml.YAMLError as e:
                self.err(path, "YAML: %s" % e)
                return
        if doc is None:
            return
        if not isinstance(doc, list):
            self.err(path, "a policy file is a sequence of entries")
            return
        for i, entry in enumerate(doc):
            where = "%s[%d]" % (os.path.basename(path), i)
            if not isinstance(entry, dict):
                self.err(where, "entry is not a map")
            elif "rule" in entry:
                self.rules.append((path, entry))
            elif "macro" in entry:
                self.add_named(self.macros, "macro", entry, MACRO_KEYS, where)
            elif "list" in entry:
                self.add_named(self.lists, "list", entry, LIST_KEYS, where)
            else:
                self.err(where, "neither rule, macro nor list")

    def add_named(self, table, kind, entry, keys, where):
        name = entry[kind]
        if not isinstance(name, str) or not ID_RE.match(name):
            self.err(where, "%s id %r is not snake_case" % (kind, name))
            return
        if name in table:
            self.err(where, "duplicate %s id %s" % (kind, name))
        for k in set(entry) - keys:
            self.err(where, "%s %s: unknown key %r" % (kind, name, k))
        table[name] = entry

    def check_field(self, where, name):
        if strip_length(name) not in self.fields:
            self.err(where, "unknown field %s" % name)

    def check_expression(self, where, expr):
        if not isinstance(expr, str) or not expr.strip():
            self.err(where, "missing expression")
            return
        depth = 0
        for m in TOKEN_RE.finditer(expr):
            depth += {"lp": 1, "rp": -1}.get(m.lastgroup, 0)
            if depth < 0:
                break
        if depth != 0:
            self.err(where, "unbalanced parentheses")
        for kind, name in expression_names(expr):
            if kind == "field":
                self.check_field(where, name)
            elif kind == "bare" and name not in self.macros:
                self.err(where, "undefined macro %s" % name)
            elif kind == "list" and name not in self.lists:
                self.err(where, "undefined list %s" % name)

    def check_tags(self, where, tags, monitor):
        if not isinstance(tags, list) or not tags:
            self.err(where, "tags must be a non-empty list")
            return
        seen = {}
        for tag in tags:
            if not isinstance(tag, str) or ":" not in tag:
                self.err(where, "tag %r is not key:value" % (tag,))
                continue
            key, val = tag.split(":", 1)
            if key not in TAG_RES:
                self.err(where, "unknown tag kind %r" % key)
            elif not TAG_RES[key].match(val):
                self.err(where, "malformed tag %r" % tag)
            seen.setdefault(key, []).append(val)
        for key in ("technique", "tactic"):
            if key not in seen:
                self.err(where, "no %s: tag" % key)
        mons = seen.get("monitor", [])
        if len(mons) != 1:
            self.err(where, "needs exactly one monitor: tag")
        elif mons[0] != monitor:
            self.err(where, "monitor:%s in %s.yaml" % (mons[0], monitor))
        if len(set(tags)) != len(tags):
            self.err(where, "duplicate tags")

    def check_tests(self, where, tests):
        if not isinstance(tests, dict):
            self.err(where, "missing tests")
            return
        for key in set(tests) - {"match", "no_match"}:
            self.err(where, "tests: unknown key %r" % key)
        for key in ("match", "no_match"):
            events = tests.get(key)
            if not isinstance(events, list) or not events:
                self.err(where, "needs at least one %s test event" % key)
                continue
            for n, ev in enumerate(events):
                self.check_event("%s tests.%s[%d]" % (where, key, n), ev)

    def check_event(self, where, ev):
        if not isinstance(ev, dict):
            self.err(where, "test event is not a map")
            return
        etype = ev.get("event", {}).get("type") \
            if isinstance(ev.get("event"), dict) else None
        if not isinstance(etype, str):
            self.err(where, "test event without event.type")
        for key in flatten_event(ev):
            if key in EXTRA_TEST_KEYS:
                continue
            leaf = key.rsplit(".", 1)[-1]
            if (key.startswith(DERIVED_PREFIXES) or leaf in DERIVED_LEAVES
                    or DERIVED_FILE_RE.search(key)):
                self.err(where, "%s is derived; give its source field" % key)
            elif key not in self.fields:
                self.err(where, "unknown test event field %s" % key)

    def check_rule(self, path, r, ids):
        rid = r.get("rule")
        where = "%s: rule %s" % (os.path.basename(path), rid)
        monitor = os.path.splitext(os.path.basename(path))[0]
        if not isinstance(rid, str) or not ID_RE.match(rid):
            self.err(where, "rule id is not snake_case")
        elif rid in ids:
            self.err(where, "duplicate rule id")
        ids.add(rid)
        if monitor not in MONITORS:
            self.err(where, "rules belong in one of %s.yaml" %
                     "/".join(MONITORS))
        for k in set(r) - RULE_KEYS:
            self.err(where, "unknown key %r" % k)
        desc = r.get("description")
        if not isinstance(desc, str) or not desc.strip() or "\n" in desc:
            self.err(where, "description must be one non-empty line")
        rem = r.get("remediation")
        if not isinstance(rem, str) or len(rem.split()) < 12:
            self.err(where, "remediation missing or too short to act on")
        if r.get("severity") not in SEVERITIES:
            self.err(where, "severity %r not in %s" %
                     (r.get("severity"), ", ".join(SEVERITIES)))
        if "enabled" in r and not isinstance(r["enabled"], bool):
            self.err(where, "enabled must be true or false")
        self.check_expression(where, r.get("expression"))
        self.check_tags(where, r.get("tags"), monitor)
        for f in r.get("every_key", []) or []:
            self.check_field(where + " every_key", f)
        if "every_key" in r and "every" not in r:
            self.err(where, "every_key without every")
        if "every" in r and not re.match(r"^[0-9]+(ms|s|m|h)$",
                                         str(r["every"])):
            self.err(where, "every must be a duration such as 10s")
        for n, exc in enumerate(r.get("exceptions", []) or []):
            ew = "%s exceptions[%d]" % (where, n)
            fields = exc.get("fields", []) if isinstance(exc, dict) else []
            if not fields:
                self.err(ew, "exception without fields")
            for f in fields:
                self.check_field(ew, f)
            for v in exc.get("values", []) if isinstance(exc, dict) else []:
                if not isinstance(v, list) or len(v) != len(fields):
                    self.err(ew, "each value tuple needs %d items" %
                             len(fields))
        self.check_tests(where, r.get("tests"))
        return monitor

    def run(self, min_rules):
        for name, m in self.macros.items():
            self.check_expression("macro %s" % name, m.get("expression"))
        for name, lst in self.lists.items():
            items = lst.get("items")
            if not isinstance(items, list) or not items:
                self.err("list %s" % name, "items must be a non-empty list")
            elif len(set(map(str, items))) != len(items):
                self.err("list %s" % name, "duplicate items")
        ids = set()
        counts = {m: 0 for m in MONITORS}
        severities = {s: 0 for s in SEVERITIES}
        for path, r in self.rules:
            mon = self.check_rule(path, r, ids)
            if mon in counts:
                counts[mon] += 1
            if r.get("severity") in severities:
                severities[r["severity"]] += 1
        clash = (set(self.macros) | set(self.lists)) & ids
        for name in sorted(clash):
            self.err(name, "rule id also names a macro or list")
        total = sum(counts.values())
        for m in MONITORS:
            if counts[m] == 0:
                self.err(m, "no rule for this monitor")
        if total < min_rules:
            self.err("policy", "%d rules, at least %d required" %
                     (total, min_rules))
        return counts, severities, total


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    srcdir = os.environ.get("VIGIL_SRCDIR",
                            os.path.normpath(os.path.join(here, "../../..")))
    builddir = os.environ.get("VIGIL_BUILDDIR", srcdir)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("policy_dir")
    ap.add_argument("--fields", default=os.path.join(
        srcdir, "tests/fixtures/policy/fields.txt"))
    ap.add_argument("--vigilctl", default=os.environ.get(
        "VIGILCTL", os.path.join(builddir, "vigilctl")))
    ap.add_argument("--min-rules", type=int, default=80)
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()

    try:
        fields, origin = load_fields(args)
        files = sorted(f for f in os.listdir(args.policy_dir)
                       if f.endswith(".yaml"))
    except OSError as e:
        print("check_policy: %s" % e, file=sys.stderr)
        return 2
    chk = Checker(fields)
    for f in files:
        chk.load(os.path.join(args.policy_dir, f))
    counts, severities, total = chk.run(args.min_rules)
    for p in chk.problems:
        print(p)
    if not args.quiet:
        print("fields: %d from %s" % (len(fields), origin))
        print("rules: %d (%s)" % (total, ", ".join(
            "%s %d" % (m, counts[m]) for m in MONITORS)))
        print("severity: %s" % ", ".join(
            "%s %d" % (s, severities[s]) for s in SEVERITIES))
        print("macros: %d, lists: %d" % (len(chk.macros), len(chk.lists)))
    if chk.problems:
        print("check_policy: %d problem(s)" % len(chk.problems))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
