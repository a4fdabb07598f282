#!/usr/bin/env python3
"""The console's emergency takeover in headless Chromium (Selenium): sign in
with a token holding the emergency permission, fill the red section, review
(nothing is sent yet), confirm, see the takeover listed, then end it (the
browser's confirmation accepted).

Usage: console_emergency.py http://127.0.0.1:PORT TOKEN ENDS_AT_LOCAL [SCREENSHOT.png]
ENDS_AT_LOCAL is a datetime-local value (YYYY-MM-DDTHH:MM, the browser's zone).
Prints the id of the takeover it started.
"""

import sys
import urllib.request
import json

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from page_policy import check_no_violation, chromium, wait


def running(base, token):
    request = urllib.request.Request(f"{base}/v1/emergencies", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request) as r:
        return json.load(r)


def main(base, token, ends_at, screenshot):
    driver = chromium("1100,1800")
    try:
        driver.get(f"{base}/console")
        driver.find_element(By.ID, "token").send_keys(token)
        driver.find_element(By.ID, "signin-button").click()
        wait("the console", lambda: driver.find_element(By.ID, "app").is_displayed())
        wait("the stations", lambda: driver.find_elements(By.CSS_SELECTOR, "#em-stations option"))
        Select(driver.find_element(By.ID, "em-stations")).select_by_value("caudry")
        driver.find_element(By.ID, "em-fr").send_keys("Évacuation : suivez les agents.")
        driver.find_element(By.ID, "em-en").send_keys("Evacuation: follow the staff.")
        until = driver.find_element(By.ID, "em-until")
        driver.execute_script("arguments[0].value = arguments[1]", until, ends_at)
        driver.find_element(By.ID, "em-review").click()
        summary = wait("the review", lambda: driver.find_element(By.ID, "em-summary").text)
        assert "caudry" in summary and "Évacuation" in summary, summary
        # Reviewing sends nothing.
        assert running(base, token) == [], "sent before confirmation"
        if screenshot:
            driver.save_screenshot(screenshot)
        driver.find_element(By.ID, "em-go").click()
        row = wait("the takeover listed", lambda: driver.find_elements(By.CSS_SELECTOR, "#emergency-list tr"))[0]
        takeover_id = row.get_attribute("data-id")
        assert takeover_id.startswith("e-"), takeover_id
        assert len(running(base, token)) == 1
        error = driver.find_element(By.ID, "em-error").text
        assert not error, error
        print(takeover_id)
        # End it: the browser asks first.
        row.find_element(By.CSS_SELECTOR, "button").click()
        driver.switch_to.alert.accept()
        wait("the list emptied", lambda: not driver.find_elements(By.CSS_SELECTOR, "#emergency-list tr"))
        assert running(base, token) == [], "still running"
        check_no_violation(driver)
    finally:
        driver.quit()


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    try:
        main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) == 5 else None)
    except AssertionError as e:
        print(f"console emergency: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
