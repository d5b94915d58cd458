#!/usr/bin/env python3
"""Browser test of `retold report` in Debian's headless Chromium.

    report_browser_test.py RETOLD_BIN SEEDS_DIR OUT_DIR [CHROMIUM]

Builds a state from the seed corpus with `retold dedup --report` (the night's page) and writes the
state's page with `retold report`, then for both pages, in headless Chromium:
  - the page loads with no console message at all (errors, CSP refusals of external assets, ...);
  - the DOM after the page's script ran has as many story elements as `retold stats` has stories,
    and the script's shown-story count says the same;
  - the seed retelling unn-2024-03-05-video-call is shown beside its leader with a highlighted
    shared passage;
  - nothing refers to the network.
A page with a deliberate error is checked first, so a detector that sees nothing fails the test.
Screenshots go to OUT_DIR. Exits 77 (CTest SKIP_RETURN_CODE) when Chromium is not installed.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

SKIP = 77
CONSOLE = re.compile(r":CONSOLE[(:]")
RETELLING, LEADER = "unn-2024-03-05-video-call", "reuters-2024-03-05-france-video-call"


def chromium_path(given):
    for c in [given, "/usr/bin/chromium", shutil.which("chromium") or ""]:
        if c and os.access(c, os.X_OK):
            return c
    return None


def browse(chromium, page, *mode):
    with tempfile.TemporaryDirectory() as profile:
        p = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                            "--hide-scrollbars", f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
                            *mode, page.resolve().as_uri()], capture_output=True, timeout=120)
    console = [l for l in p.stderr.decode(errors="replace").splitlines() if CONSOLE.search(l)]
    return p, console


class Dom(HTMLParser):
    """Counts what the checks need in the dumped DOM."""

    def __init__(self):
        super().__init__()
        self.stories = 0
        self.shown = None
        self._in_shown = False
        self.pairs = {}          # data-member -> number of <mark> inside that pair
        self._pair = None
        self._depth = 0
        self.external = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "story" in (a.get("class") or "").split():
            self.stories += 1
        if a.get("id") == "shown-count":
            self._in_shown = True
        for k in ("src", "href"):
            if a.get(k) and re.match(r"(https?:)?//", a[k]):
                self.external.append(a[k])
        if self._pair is not None:
            self._depth += 1
            if tag == "mark":
                self.pairs[self._pair] += 1
        elif "pair" in (a.get("class") or "").split():
            self._pair = a.get("data-member")
            self.pairs.setdefault(self._pair, 0)
            self._depth = 1

    def handle_endtag(self, tag):
        if self._pair is not None:
            self._depth -= 1
            if self._depth == 0:
                self._pair = None

    def handle_data(self, data):
        if self._in_shown:
            self.shown = int(data)
            self._in_shown = False


def check_page(chromium, page, stories, out_dir, errors):
    p, console = browse(chromium, page, "--dump-dom")
    if p.returncode != 0:
        errors.append(f"{page.name}: chromium exited {p.returncode}: {p.stderr.decode(errors='replace')[-2000:]}")
        return
    if console:
        errors.append(f"{page.name}: console messages:\n  " + "\n  ".join(console))
    dom = Dom()
    dom.feed(p.stdout.decode())
    if dom.stories != stories:
        errors.append(f"{page.name}: {dom.stories} story elements, retold stats says {stories}")
    if dom.shown != stories:
        errors.append(f"{page.name}: the page's script shows {dom.shown} stories, expected {stories}")
    if not dom.pairs.get(RETELLING):
        errors.append(f"{page.name}: no highlighted shared passage for {RETELLING} (pairs: {dom.pairs})")
    if dom.external:
        errors.append(f"{page.name}: refers to the network: {dom.external}")
    shot = out_dir / (page.stem + ".png")
    p, _ = browse(chromium, page, "--window-size=1300,2400", f"--screenshot={shot}")
    if p.returncode != 0 or not shot.exists() or shot.stat().st_size < 10000:
        errors.append(f"{page.name}: no screenshot written to {shot}")
    else:
        print(f"screenshot: {shot}")


def main():
    if len(sys.argv) < 4:
        print(__doc__)
        return 2
    retold, seeds, out_dir = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    chromium = chromium_path(sys.argv[4] if len(sys.argv) > 4 else "")
    if not chromium:
        print("SKIP: Chromium is not installed (Debian: apt-get install chromium)")
        return SKIP
    out_dir.mkdir(parents=True, exist_ok=True)
    errors = []

    # The detector must see a console error when there is one.
    broken = out_dir / "broken.html"
    broken.write_text("<!DOCTYPE html><p>x</p><script>undefinedFunction();</script>")
    _, console = browse(chromium, broken, "--dump-dom")
    if not console:
        errors.append("a page with a script error produced no console message: the console check cannot work")

    work = Path(tempfile.mkdtemp(prefix="retold_report_"))
    try:
        state, summary, night = work / "state", work / "summary.json", out_dir / "night.html"
        subprocess.run([retold, "dedup", seeds / "corpus.jsonl", "--state", state, "-q", "-o", "none",
                        "--source-priority", "Reuters,AP,AFP", "--summary", summary, "--report", night], check=True)
        page = out_dir / "state.html"
        subprocess.run([retold, "report", "--state", state, "--summary", summary, "-o", page], check=True)
        stats = json.loads(subprocess.run([retold, "stats", "--state", state, "--json"], check=True,
                                          capture_output=True).stdout)
        for html in (night, page):
            check_page(chromium, html, stats["clusters"], out_dir, errors)
        text = page.read_text()
        for needle in ["id=\"night\"", "score-histogram", "size-histogram", LEADER]:
            if needle not in text:
                errors.append(f"{page.name}: {needle} missing")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for e in errors:
        print("FAIL:", e)
    if not errors:
        print("report pages load cleanly and show every story")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
