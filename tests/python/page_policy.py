"""Checks shared by the browser tests: a page is served with the strict
Content-Security-Policy, carries no inline script, style or event handler in its
markup, and the browser reported no policy violation while it ran; and `wait`,
their one way to wait for the page."""

import re
import time
import urllib.request

STRICT = ["default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"]


def check_served(base, path):
    with urllib.request.urlopen(f"{base}{path}") as r:
        csp = r.headers.get("Content-Security-Policy", "")
        nosniff = r.headers.get("X-Content-Type-Options", "")
        html = r.read().decode("utf-8")
    for part in STRICT:
        assert part in csp, (path, csp)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, (path, csp)
    assert nosniff == "nosniff", (path, nosniff)
    inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not inline_scripts, (path, inline_scripts)
    assert "<style" not in html, (path, "inline <style>")
    assert not re.search(r"\sstyle\s*=", html), (path, "style attribute")
    assert not re.search(r"\son[a-z]+\s*=", html), (path, "inline event handler")
    # Its own script and style sheet are served, with the policy too.
    for asset in re.findall(r'(?:src|href)="(/[^"]+\.(?:js|css))"', html):
        with urllib.request.urlopen(f"{base}{asset}") as r:
            assert r.status == 200, asset
            assert "javascript" in r.headers["Content-Type"] or "css" in r.headers["Content-Type"], asset


def enable_logs(options):
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})


def chromium(window_size):
    """Headless Chromium through chromedriver (Debian's), with the browser's
    log kept for check_no_violation."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    enable_logs(options)
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", f"--window-size={window_size}"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def check_no_violation(driver):
    logs = driver.get_log("browser")
    violations = [e["message"] for e in logs if "Content Security Policy" in e["message"] or "Refused to" in e["message"]]
    assert not violations, violations


def wait(what, predicate, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
