#!/usr/bin/python3
"""The HTML plan report in a real browser: `rnnpoolc plan --html` for the bundled
Fashion-MNIST RNNPool example (input resident) and small_cnn (input streamed) must write one
page that fetches nothing (no src or href, no URL but the SVG namespace), that headless
Chromium (Debian `chromium`) loads and renders to a screenshot of the window's size, and
whose text as Chromium parsed it states plan.json's figures: the arena in bytes, the ratio
of the layer-by-layer peak to the arena, the live peak and its step, the baseline, one step
table row per step and one op table row per op.

Without chromium the test prints one SKIP line and exits 77 (ctest reports it skipped);
tools/setup-deps installs it.

  test_plan_html.py RNNPOOLC WORKDIR
"""
import html
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "..", "..", "examples")
CASES = [("fashion_rnnpool", []), ("small_cnn", ["--stream-input"])]
WINDOW = (1280, 900)


def chromium():
    for name in ("chromium", "chromium-browser"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def browse(browser, profile, page, *args):
    return subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                           "--hide-scrollbars", "--user-data-dir=" + profile,
                           "--window-size=%d,%d" % WINDOW] + list(args) + ["file://" + page],
                          capture_output=True, text=True, timeout=120)


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    return struct.unpack(">II", head[16:24]) if head[:8] == b"\x89PNG\r\n\x1a\n" else None


def check_self_contained(page):
    text = open(page, encoding="utf-8").read()
    if re.search(r"\b(src|href)\s*=", text):
        return "the page references another file"
    urls = re.findall(r"https?://[^\s\"')]+", text)
    if any(u != "http://www.w3.org/2000/svg" for u in urls):
        return "the page names a URL: %s" % sorted(set(urls))
    if re.search(r"url\((?!#)", text) or "@import" in text:
        return "the style loads something"
    return None


def check_text(dom, plan):
    """The page as Chromium parsed it, against plan.json."""
    s = plan["summary"]
    steps = dom[dom.find('id="steps"'):]
    ops = dom[dom.find('id="ops"'):dom.find('id="steps"')]
    if steps.count("<tr") != len(plan["steps"]) + 1:
        return "%d step rows for %d steps" % (steps.count("<tr") - 1, len(plan["steps"]))
    nodes = {step["node"] for step in plan["steps"] if step["kind"] == "compute"}
    if ops.count("<tr") != len(nodes) + 1:
        return "%d op rows for %d ops" % (ops.count("<tr") - 1, len(nodes))
    text = html.unescape(re.sub(r"<[^>]+>", " ", dom))
    text = re.sub(r"\s+", " ", text)
    ratio = s["baseline_peak_ram_bytes"] / s["arena_bytes"]
    wanted = ["arena %s bytes" % "{:,}".format(s["arena_bytes"]),
              "%.2f× less RAM than layer-by-layer" % ratio,
              "live peak %s bytes" % "{:,}".format(s["peak_ram_bytes"]),
              "at step %d," % s["peak_step"],
              "layer-by-layer peak %s bytes" % "{:,}".format(s["baseline_peak_ram_bytes"]),
              "%d steps" % len(plan["steps"])]
    missing = [w for w in wanted if w not in text]
    return "the page lacks %s" % missing if missing else None


def check(rnnpoolc, browser, workdir, name, flags):
    out = os.path.join(workdir, name)
    os.makedirs(out, exist_ok=True)
    page, plan_json = os.path.join(out, "plan.html"), os.path.join(out, "plan.json")
    shot = os.path.join(out, "plan.png")
    r = subprocess.run([rnnpoolc, "plan", os.path.join(EXAMPLES, name, "model.onnx"), "--html",
                        page, "--json", plan_json] + flags, capture_output=True, text=True)
    if r.returncode != 0:
        return "plan failed: " + r.stderr.strip()
    plan = json.load(open(plan_json))
    problem = check_self_contained(page)
    if problem:
        return problem
    if os.path.exists(shot):
        os.remove(shot)
    with tempfile.TemporaryDirectory() as profile:  # one browser start: the DOM and a screenshot
        r = browse(browser, profile, page, "--dump-dom", "--screenshot=" + shot)
    if r.returncode != 0 or "</html>" not in r.stdout:
        return "chromium --dump-dom failed: " + r.stderr.strip()[-300:]
    problem = check_text(r.stdout, plan)
    if problem:
        return problem
    size = png_size(shot) if os.path.exists(shot) else None
    if size != WINDOW:
        return "screenshot is %s, not %s: %s" % (size, WINDOW, r.stderr.strip()[-300:])
    # A blank window compresses to a few KB; the cards, text and picture do not.
    if os.path.getsize(shot) < 40000:
        return "the screenshot looks empty (%d bytes)" % os.path.getsize(shot)
    return "ok (%s: %d steps, arena %d B, %.2fx less)" % (
        shot, len(plan["steps"]), plan["summary"]["arena_bytes"],
        plan["summary"]["baseline_over_arena"])


def main():
    rnnpoolc, workdir = sys.argv[1], sys.argv[2]
    browser = chromium()
    if browser is None:
        print("SKIP: chromium is not installed (tools/setup-deps installs it); the HTML "
              "report was not checked in a browser")
        return 77
    os.makedirs(workdir, exist_ok=True)
    failed = 0
    for name, flags in CASES:
        verdict = check(rnnpoolc, browser, workdir, name, flags)
        ok = verdict.startswith("ok")
        failed += not ok
        print("%-4s %-16s %s" % ("ok" if ok else "FAIL", name, verdict), flush=True)
    print("%d failed" % failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
