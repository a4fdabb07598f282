#!/usr/bin/env python3
"""The station Wi-Fi splash page in headless Chromium (Debian's chromium and
chromedriver, driven with Selenium): it loads without external assets, shows the
live departures, wraps a very long word, switches language, follows the access point's continue URL, and
updates by itself when the board changes.

Usage: portal_page.py http://127.0.0.1:PORT [SCREENSHOT.png]
"""

import json
import sys
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from page_policy import check_no_violation, check_served, enable_logs, wait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def main(base, screenshot):
    options = webdriver.ChromeOptions()
    enable_logs(options)
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--window-size=412,915", "--lang=fr"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.get(f"{base}/portal?continue=https://ap.example/continue")
        wait("departure rows", lambda: driver.find_elements(By.CSS_SELECTOR, "#departures tr"))

        def agreeing():
            # The clock runs: read the board and the page until both show the same
            # first departure (a departure may leave between the two reads).
            with urllib.request.urlopen(f"{base}/v1/stations/caudry/board?limit=30") as r:
                board = json.load(r)
            first = driver.execute_script(
                "const r = document.querySelector('#departures tr');"
                " return r ? [r.innerText, r.dataset.id] : null;")
            if first and board["departures"] and board["departures"][0]["headsign"] in first[0]:
                return board, first[1]
            return None

        board, first_id = wait("the page's first row to match the board's first departure", agreeing)
        assert driver.find_element(By.ID, "station").text == board["station"]["name"]
        # A notice's one-word 3,000-character description wraps: the page is no
        # wider than its window (a phone, 412 px; headless Chromium makes it 500).
        wait("the notice", lambda: "Détailxxx" in driver.find_element(By.TAG_NAME, "body").text)
        width = driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"the page is {width[0]} px wide in a {width[1]} px window"
        assert "Caudry-Pole-WiFi-Gratuit" in driver.find_element(By.ID, "ssid").text
        accept = driver.find_element(By.ID, "accept")
        assert accept.get_attribute("href") == "https://ap.example/continue", accept.get_attribute("href")
        labels = {"Accepter et se connecter", "Accept and connect"}
        before = accept.text
        assert before in labels, before
        driver.find_element(By.ID, "lang").click()
        assert accept.text in labels and accept.text != before, (before, accept.text)
        if screenshot:
            driver.save_screenshot(screenshot)
        # The board changes (the 07:34 bus leaves; on a machine so slow that it had
        # left before the page loaded, the 07:40 one): the page follows by itself.
        first_row = "const r = document.querySelector('#departures tr'); return r ? r.dataset.id : null;"
        wait("the page to follow the board", lambda: driver.execute_script(first_row) not in (None, first_id), timeout=420)
        # Nothing was fetched from outside the server.
        for entry in driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)"):
            assert entry.startswith(base) or entry.startswith(base.replace("http", "ws")), entry
        check_no_violation(driver)
        check_served(base, "/portal")
    finally:
        driver.quit()
    print("portal page: departures shown, language switch, continue URL, live update, strict CSP kept")


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    try:
        main(sys.argv[1], sys.argv[2] if len(sys.argv) == 3 else None)
    except AssertionError as e:
        print(f"portal page: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
