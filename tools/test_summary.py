#!/usr/bin/python3
"""The summary `make test` prints after ctest: one screen, from ctest's JUnit file.

Unit test files (ctest names AREA/FILE) are counted per area on one line; every other
suite gets a line with its time; skipped and failed entries are named with their reason.

  test_summary.py CTEST_JUNIT.xml
"""
import sys
import xml.etree.ElementTree as ET


def duration(seconds):
    seconds = int(round(seconds))
    return "%dm %02ds" % divmod(seconds, 60) if seconds >= 60 else "%ds" % seconds


def state_of(case):
    """passed, skipped (the test asked for it, or it is disabled), or FAILED: a test ctest
    could not run (no executable, a failed fixture) counts as failed, as ctest counts it."""
    status = case.get("status")
    if status == "run":
        return "passed"
    if status == "disabled":
        return "skipped"
    if status == "notrun":
        skipped = case.find("skipped")
        message = skipped.get("message", "") if skipped is not None else ""
        if message.startswith("SKIP_"):
            return "skipped"
    return "FAILED"


def skip_reason(case):
    out = case.findtext("system-out") or ""
    lines = [l for l in out.splitlines() if l.startswith("SKIP")]
    return lines[-1] if lines else "skipped"


def main(path):
    try:
        cases = list(ET.parse(path).getroot().iter("testcase"))
    except (OSError, ET.ParseError) as e:
        print("\n== test summary: no ctest results (%s) ==" % e)
        return 0
    units, suites, skipped, failed = {}, [], [], []
    total_time, count = 0.0, 0
    for case in cases:
        name = case.get("name")
        seconds = float(case.get("time") or 0)
        total_time += seconds
        count += 1
        state = state_of(case)
        if state == "skipped":
            skipped.append("%s: %s" % (name, skip_reason(case)))
        elif state == "FAILED":
            failed.append(name)
        if "/" in name:
            area = units.setdefault(name.split("/")[0], [0, 0, 0.0])
            area[0] += 1
            area[1] += state == "passed"
            area[2] += seconds
        else:
            suites.append((name, state, seconds))
    print("\n== test summary ==")
    files = sum(a[0] for a in units.values())
    passed = sum(a[1] for a in units.values())
    unit_time = sum(a[2] for a in units.values())
    if units:
        print("%-18s %3d of %3d files passed  %8s   (%s)" % (
            "unit (Catch2)", passed, files, duration(unit_time),
            ", ".join("%s %d" % (k, v[0]) for k, v in sorted(units.items()))))
    for name, state, seconds in suites:
        print("%-18s %-22s %8s" % (name, state, duration(seconds)))
    for line in skipped:
        print("skipped: " + line)
    for name in failed:
        print("FAILED:  %s   (its output is above; rerun: ctest -R '^%s$' --output-on-failure)"
              % (name, name))
    print("%d of %d passed, %d skipped, %d failed; %s of test time, summed over tests" % (
        count - len(skipped) - len(failed), count, len(skipped), len(failed),
        duration(total_time)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
