#!/usr/bin/env python3
"""The kiosk's "continue on your phone" links, opened on the Wi-Fi splash page
in headless Chromium: /portal?station=…&view=lines | line&route=ID |
trip&trip=ID | disruptions | parking shows the same view as the kiosk, from
the same REST endpoints, and a link that names nothing known says so.

Usage: portal_deep_links.py http://127.0.0.1:PORT ROUTE_ID [SCREENSHOT.png]
"""

import json
import sys
import urllib.parse
import urllib.request

from selenium.webdriver.common.by import By

from page_policy import check_no_violation, chromium, wait


def get(base, path):
    with urllib.request.urlopen(f"{base}{path}") as r:
        return json.load(r)


def view_text(driver):
    return driver.execute_script(
        "const v = document.getElementById('view'); return v && !v.hidden ? v.innerText : '';")


def main(base, route, screenshot):
    driver = chromium("412,915")
    try:
        # A line: its name, its next departures from here, its stops.
        quoted = urllib.parse.quote(route, safe="")
        line = get(base, f"/v1/routes/{quoted}")
        nxt = get(base, f"/v1/routes/{quoted}/departures?station=caudry&limit=8")
        driver.get(f"{base}/portal?station=caudry&view=line&route={route}")
        name = line["route"]["long_name"]
        wait("the line view", lambda: name in view_text(driver))
        text = view_text(driver)
        for d in nxt["departures"]:
            assert d["headsign"] in text, (d["headsign"], text)
        for stop in line["directions"][0]["stops"]:
            assert stop["name"] in text, (stop["name"], text)
        # A departure leads to its trip, every call listed, "you are here".
        first = nxt["departures"][0]["id"]
        links = driver.find_elements(By.CSS_SELECTOR, "#view ol a")
        assert links, text
        links[0].click()
        trip = get(base, f"/v1/trips/{urllib.parse.quote(first, safe='')}")
        wait("the trip view", lambda: "trip=" in driver.current_url and trip["calls"][-1]["stop_name"] in view_text(driver))
        text = view_text(driver)
        for c in trip["calls"]:
            assert c["stop_name"] in text, (c["stop_name"], text)
        here = driver.find_element(By.CSS_SELECTOR, "#view li[aria-current=location]")
        assert "vous êtes ici" in here.text or "you are here" in here.text, here.text
        if screenshot:
            driver.save_screenshot(screenshot)
        # The lines of the station, each a link to its line.
        driver.get(f"{base}/portal?station=caudry&view=lines")
        routes = get(base, "/v1/stations/caudry/routes")["routes"]
        wait("the lines view", lambda: driver.find_elements(By.CSS_SELECTOR, "#view li a"))
        hrefs = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "#view li a")]
        assert len(hrefs) == len(routes), (hrefs, routes)
        assert any(urllib.parse.quote(route, safe="") in h for h in hrefs), hrefs
        # Parking and disruptions are the board's own sections.
        driver.get(f"{base}/portal?station=caudry&view=parking")
        wait("the parking view", lambda: driver.execute_script("return document.body.dataset.view") == "parking")
        wait("the facilities", lambda: not driver.find_element(By.ID, "facilities").get_attribute("hidden"))
        # A line link without its line, and a view that does not exist: said.
        for link in ("view=line", "view=nowhere"):
            driver.get(f"{base}/portal?station=caudry&{link}")
            wait(f"the refusal of {link}", lambda: "indisponible" in view_text(driver) or "unavailable" in view_text(driver))
        # A trip that does not exist: said, not a blank page.
        driver.get(f"{base}/portal?station=caudry&view=trip&trip=demo:nope:20260701:1")
        wait("the refusal", lambda: "indisponible" in view_text(driver) or "unavailable" in view_text(driver))
        check_no_violation(driver)
    finally:
        driver.quit()
    print("portal deep links: line, trip, lines, parking and a refusal shown")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
