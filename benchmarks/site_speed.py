"""How soon a page of the site is ready, and how much it loads: math typeset at build time
(this checkout) against the client-side MathJax of the last commit that used it.

Both sites are built here from a clean output folder (the build times are printed too), then
every page of the table of contents is loaded in headless Chromium from a plain static
server on 127.0.0.1 (no compression), ``LOADS`` times each in a fresh browser context, so
nothing is cached; medians are printed. For each page:

- **formulas**: math elements (``span.math``, ``div.math``), and the share of them shown
  typeset with JavaScript off;
- **first load**: bytes transferred (headers and bodies) until every formula is typeset,
  JavaScript on;
- **no-JS load**: time from navigation until the load event and the web fonts, JavaScript off;
- **ready**: time from navigation until every formula is typeset and its fonts are in,
  JavaScript on (for MathJax: until ``MathJax.startup.promise`` resolves);
- **ratio**: ready / no-JS load.

Targets (issue 17): formulas typeset with JavaScript off >= 95 %, first load <= 1.5 MB,
ratio <= 1.5 on every chapter page. Run with ``make bench`` or
``.venv/bin/python benchmarks/site_speed.py [--baseline REF] [--loads N]``.
"""

import argparse
import functools
import http.server
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from test_site import CHROMIUM_FLAGS, OPEN_SOLUTIONS, TYPESET, chromium_path, toc_pages  # noqa: E402

BIN = Path(sys.executable).parent
WORK = ROOT / "_build" / "site-speed"
LOADS = 5
TARGET_RENDERED, TARGET_BYTES, TARGET_RATIO = 0.95, 1_500_000, 1.5

# JavaScript: resolves once every formula is typeset and the fonts are in (whatever renders).
READY = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  await document.fonts.ready;
  return true;
}"""


def run(command, cwd):
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


def build(checkout):
    """Build the site of ``checkout`` from scratch with this environment; seconds taken."""
    shutil.rmtree(checkout / "_build" / "html", ignore_errors=True)
    shutil.rmtree(checkout / "_build" / ".doctrees", ignore_errors=True)
    env_path = f"{BIN}{os.pathsep}{os.environ['PATH']}"
    start = time.perf_counter()
    subprocess.run([BIN / "python", "assignments/autograde.py", "build", "_build/assignments"], cwd=checkout,
                   check=True, stdout=subprocess.DEVNULL, env={**os.environ, "PATH": env_path})
    subprocess.run([BIN / "jupyter-book", "build", "-W", "-n", "--keep-going", "."], cwd=checkout, check=True,
                   stdout=subprocess.DEVNULL, env={**os.environ, "PATH": env_path})
    return time.perf_counter() - start


def baseline_checkout(ref):
    """A worktree of ``ref`` (default: the last commit with client-side MathJax), with its npm assets."""
    if ref is None:
        removal = subprocess.run(["git", "log", "-1", "--format=%H", "-G", "offline_mathjax", "--", "_config.yml"],
                                 cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
        ref = subprocess.run(["git", "rev-parse", "--short", f"{removal}^"], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.strip()
    config = subprocess.run(["git", "show", f"{ref}:_config.yml"], cwd=ROOT, check=False, capture_output=True,
                            text=True).stdout
    if "offline_mathjax" not in config:
        raise SystemExit(f"{ref} does not build with client-side MathJax: name a commit that does, with --baseline")
    folder = WORK / "baseline"
    if folder.exists():
        run(["git", "worktree", "remove", "--force", str(folder)], ROOT)
    run(["git", "worktree", "add", "--detach", str(folder), ref], ROOT)
    run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], folder)
    return folder, ref


@functools.cache
def serve(site):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            pass  # a browser context closed before a response was sent (a refused preload)

    httpd = Server(("127.0.0.1", 0), functools.partial(Quiet, directory=site))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{httpd.server_address[1]}"


def load(browser, url, javascript):
    """One cold load: (seconds until ready, bytes transferred, typeset formulas, formulas)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=javascript)
    page = context.new_page()
    requests = []
    page.on("requestfinished", lambda request: requests.append(request))
    start = time.perf_counter()
    page.goto(url, wait_until="load")
    page.evaluate(READY)
    seconds = time.perf_counter() - start
    sizes = [r.sizes() for r in requests]
    transferred = sum(s["responseBodySize"] + s["responseHeadersSize"] for s in sizes)
    page.evaluate(OPEN_SOLUTIONS)
    typeset = page.evaluate(TYPESET)
    context.close()
    return seconds, transferred, typeset["rendered"], typeset["formulas"]


def measure(browser, site, pages, loads):
    rows = {}
    for doc in pages:
        url = f"{serve(site)}/{doc}.html"
        on = [load(browser, url, javascript=True) for _ in range(loads)]
        off = [load(browser, url, javascript=False) for _ in range(loads)]
        ready = statistics.median(s for s, *_ in on)
        no_js = statistics.median(s for s, *_ in off)
        _, _, rendered_off, formulas = off[-1]
        rows[doc] = {
            "formulas": formulas,
            "rendered_no_js": rendered_off / formulas if formulas else 1.0,
            "bytes": statistics.median(b for _, b, *_ in on),
            "no_js": no_js,
            "ready": ready,
            "ratio": ready / no_js,
        }
    return rows


def report(title, rows, baseline=None):
    print(f"\n{title}")
    print(f"{'page':36} {'formulas':>8} {'no-JS typeset':>13} {'first load':>11} {'no-JS load':>10} "
          f"{'ready':>7} {'ratio':>6}" + ("   vs MathJax: first load, ready" if baseline else ""))
    for doc, r in rows.items():
        line = (f"{doc:36} {r['formulas']:8d} {r['rendered_no_js']:12.0%} {r['bytes'] / 1e6:8.2f} MB "
                f"{r['no_js'] * 1e3:7.0f} ms {r['ready'] * 1e3:4.0f} ms {r['ratio']:6.2f}")
        if baseline:
            b = baseline[doc]
            line += f"   {b['bytes'] / r['bytes']:5.1f}x less, {b['ready'] / r['ready']:4.1f}x sooner"
        print(line)


def check_targets(rows):
    failures = []
    for doc, r in rows.items():
        if not doc.startswith("chapters/"):
            continue
        if r["rendered_no_js"] < TARGET_RENDERED:
            failures.append(f"{doc}: {r['rendered_no_js']:.0%} of formulas typeset with JavaScript off")
        if r["bytes"] > TARGET_BYTES:
            failures.append(f"{doc}: first load {r['bytes'] / 1e6:.2f} MB")
        if r["ratio"] > TARGET_RATIO:
            failures.append(f"{doc}: ready after {r['ratio']:.2f} times the no-JS load")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", help="git ref of the client-side MathJax site (default: the last one)")
    parser.add_argument("--no-baseline", action="store_true", help="measure this checkout only")
    parser.add_argument("--loads", type=int, default=LOADS)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    pages = toc_pages()
    current_build = build(ROOT)
    baseline_folder = None
    if not args.no_baseline:
        baseline_folder, ref = baseline_checkout(args.baseline)
        baseline_build = build(baseline_folder)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        current = measure(browser, ROOT / "_build" / "html", pages, args.loads)
        baseline = None
        if baseline_folder:
            baseline = measure(browser, baseline_folder / "_build" / "html", pages, args.loads)
        browser.close()
    print(f"Medians of {args.loads} cold loads per page, headless Chromium, 127.0.0.1, no compression.")
    if baseline:
        report(f"Client-side MathJax ({ref}), built in {baseline_build:.0f} s:", baseline)
    report(f"Typeset at build time (this checkout), built in {current_build:.0f} s:", current, baseline)
    failures = check_targets(current)
    print("\nTargets (chapter pages): >= 95 % typeset without JavaScript, first load <= 1.5 MB, ratio <= 1.5: "
          + ("all met" if not failures else "NOT met:\n  " + "\n  ".join(failures)))
    if baseline_folder:
        run(["git", "worktree", "remove", "--force", str(baseline_folder)], ROOT)


if __name__ == "__main__":
    main()
