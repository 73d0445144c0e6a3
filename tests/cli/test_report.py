"""`aeib enhance --report`: a self-contained HTML page, checked as text and in a real headless browser.

The browser test needs Debian's ``chromium`` and ``chromium-driver`` (``apt-get install -y chromium
chromium-driver``) and selenium (the ``[dev]`` extra); it installs nothing itself and is skipped, with
that message, only where no browser or driver is found.
"""

import io
import re
import shutil
import time

import numpy as np
import pytest

from aeib.cli.main import main
from tests.io.phone_media import write_phone_file

APT_LINE = "apt-get install -y chromium chromium-driver"


@pytest.fixture
def report(tmp_path, capsys, cached_bundle):
    src = tmp_path / "memo.m4a"
    write_phone_file(src, 3.0, 48_000, 2)
    page = tmp_path / "report.html"
    code = main(["enhance", str(src), "-o", str(tmp_path / "fixed.m4a"), "--model", str(cached_bundle),
                 "--report", str(page), "--bitrate", "128"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert f"files written: {tmp_path / 'fixed.m4a'}, {page}" in err
    return page


def test_report_is_one_self_contained_page(report, tmp_path, cached_bundle):
    text = report.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["'](https?:|//|file:)""", text)  # nothing fetched from elsewhere
    assert "<link" not in text and text.count('src="data:audio/mpeg;base64,') == 2
    assert 'src="data:image/png;base64,' in text and 'id="matched" checked' in text
    assert "comp.ratio" in text and "eq.band1.gain_db" in text and "LUFS, true peak" in text
    command = re.search(r'<pre id="command">(.*?)</pre>', text).group(1)
    assert command.startswith("aeib enhance ") and "--bitrate 128" in command and str(tmp_path / "fixed.m4a") in command
    assert "Excerpt: the whole recording." in text


def _browser():
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium is not installed (it is in the [dev] extra)")
    binary = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
    driver = shutil.which("chromedriver")
    if binary is None or driver is None:
        pytest.skip(f"no headless browser found (chromium: {binary}, chromedriver: {driver}); install with: {APT_LINE}")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1200,1600",
                 "--autoplay-policy=no-user-gesture-required", "--mute-audio"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=driver), options=options)


def test_report_in_a_headless_browser(report):
    browser = _browser()
    try:
        browser.get(report.as_uri())
        deadline = time.monotonic() + 30
        durations = None
        while time.monotonic() < deadline:
            durations = browser.execute_script(
                "return ['before', 'after'].map(function (id) { var a = document.getElementById(id);"
                " return [a.readyState, a.duration, a.error ? a.error.code : 0]; });")
            if all(state >= 1 and duration > 0 for state, duration, _ in durations):
                break
            time.sleep(0.2)
        assert all(error == 0 for _, _, error in durations), durations
        assert all(2.5 < duration < 3.5 for _, duration, _ in durations), durations  # both players have a duration
        volumes = browser.execute_script("return [before.volume, after.volume, matched.checked];")
        difference = float(browser.find_element("id", "matched").get_attribute("data-difference-db"))
        assert volumes[2] is True and min(volumes[:2]) == pytest.approx(10 ** (-abs(difference) / 20), rel=1e-3)
        assert max(volumes[:2]) == 1.0
        browser.find_element("id", "matched").click()  # raw levels: both at full volume
        assert browser.execute_script("return [before.volume, after.volume];") == [1, 1]
        assert "raw levels" in browser.find_element("id", "matched-note").text
        assert browser.execute_script("return document.getElementById('figure').naturalWidth") > 500
        severe = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
        assert not severe, severe
        import matplotlib.image

        shot = matplotlib.image.imread(io.BytesIO(browser.get_screenshot_as_png()), format="png")
        assert shot.shape[0] > 500 and float(np.std(shot[..., :3])) > 0.05  # not blank
    finally:
        browser.quit()
