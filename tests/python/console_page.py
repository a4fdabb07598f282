#!/usr/bin/env python3
"""The operators' console in headless Chromium (Selenium): sign in with a token,
create a notice with the ticker preview, see it listed (markup shown as text),
then end it.

Usage: console_page.py http://127.0.0.1:PORT TOKEN [SCREENSHOT.png]
Prints the id of the notice it created.
"""

import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from page_policy import check_no_violation, check_served, enable_logs, wait


def main(base, token, screenshot):
    options = webdriver.ChromeOptions()
    enable_logs(options)
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--window-size=1100,1300"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.get(f"{base}/console")
        driver.find_element(By.ID, "token").send_keys("quai_wrong")
        driver.find_element(By.ID, "signin-button").click()
        wait("the refusal", lambda: driver.find_element(By.ID, "signin-error").text)
        token_field = driver.find_element(By.ID, "token")
        token_field.clear()
        token_field.send_keys(token)
        driver.find_element(By.ID, "signin-button").click()
        wait("the console", lambda: driver.find_element(By.ID, "app").is_displayed())

        # The screens: hall-1 listed, its health in words; asked for a look,
        # its picture shown.
        row = wait("hall-1 in the screens", lambda: driver.find_elements(By.CSS_SELECTOR, "#screen-list tr[data-id='hall-1']"))[0]
        cells = row.find_elements(By.TAG_NAME, "td")
        assert cells[2].text == "en service / ok", cells[2].text
        assert "direct" in cells[3].text and "Hall 1080p" in cells[3].text, cells[3].text
        row.find_element(By.CSS_SELECTOR, "button.look").click()
        wait("the screen's picture", lambda: driver.find_element(By.ID, "shot-figure").is_displayed()
             and driver.execute_script("return document.getElementById('shot').naturalWidth") == 1)
        assert driver.find_element(By.ID, "shot").get_attribute("src").startswith("data:image/png")
        # Its row now has the picture as a thumbnail.
        wait("the thumbnail", lambda: driver.execute_script(
            "const i = document.querySelector(\"#screen-list tr[data-id='hall-1'] img.thumb\"); return i && i.naturalWidth === 1"))
        error = driver.find_element(By.ID, "screens-error").text
        assert not error, error

        header = "<b>Quai C fermé</b>"
        driver.find_element(By.ID, "header-fr").send_keys(header)
        driver.find_element(By.ID, "header-en").send_keys("Bay C closed")
        driver.find_element(By.ID, "screen-fr").send_keys("Quai C fermé : ligne 3 au quai D")
        preview = driver.find_element(By.ID, "preview").text
        assert preview == "Quai C fermé : ligne 3 au quai D", preview
        driver.find_element(By.ID, "route").send_keys("CA2C:3")
        if screenshot:
            driver.save_screenshot(screenshot)
        driver.find_element(By.ID, "submit").click()
        row = wait("the new notice in the list", lambda: driver.find_elements(By.CSS_SELECTOR, "#list tr"))[0]
        cells = row.find_elements(By.TAG_NAME, "td")
        # The markup is shown as text, never interpreted.
        assert cells[0].text == header, cells[0].text
        assert not row.find_elements(By.TAG_NAME, "b")
        assert cells[1].text == "published"
        notice_id = row.get_attribute("data-id")
        print(notice_id)
        error = driver.find_element(By.ID, "form-error").text
        assert not error, error
        check_no_violation(driver)
        check_served(base, "/console")
    finally:
        driver.quit()


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    try:
        main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) == 4 else None)
    except AssertionError as e:
        print(f"console page: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
