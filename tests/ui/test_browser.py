"""The page in a real browser: Debian's chromium through its chromedriver (no browser download).

Uploads the demo video in the Analyze tab, waits for the job, checks the annotated video, the
timeline picture and the table appear, and saves a screenshot of every tab to
``$STUDIO_TEST_ARTIFACTS`` (default ``outputs/test-artifacts``). Skipped where chromium is not
installed, except in CI (``CI`` set), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

pytest.importorskip("gradio")
webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402

from studio.demo import DemoMedia  # noqa: E402
from studio.registry import default_cache  # noqa: E402
from ui.launch import ServeOptions, launch  # noqa: E402
from ui.service import StudioService  # noqa: E402

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
ARTIFACTS = Path(os.environ.get("STUDIO_TEST_ARTIFACTS", "outputs/test-artifacts"))

if not (BROWSER and DRIVER):
    if os.environ.get("CI"):
        pytest.fail("CI needs Debian's chromium and chromium-driver (scripts/setup.sh --browser installs them)")
    pytest.skip("chromium and chromedriver are not installed", allow_module_level=True)


def _browser() -> WebDriver:
    options = webdriver.ChromeOptions()
    options.binary_location = BROWSER
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1440,1700",
                 "--disable-gpu", "--hide-scrollbars"):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=DRIVER))
    driver.set_page_load_timeout(60)
    return driver


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WebDriver, str]]:
    cache = default_cache()
    settings = replace(cache.settings, outputs_dir=tmp_path_factory.mktemp("outputs"))
    service = StudioService.create(settings, cache=cache)
    demo, url = launch(ServeOptions(port=None), service=service, block=False)
    driver = _browser()
    try:
        yield driver, url
    finally:
        driver.quit()
        demo.close()
        service.close()


def _wait(driver: WebDriver, css: str, timeout_s: float = 120, check: object = None) -> list[object]:
    deadline = time.monotonic() + timeout_s
    while True:
        found = driver.find_elements(By.CSS_SELECTOR, css)
        if found and (check is None or check(found)):  # type: ignore[operator]
            return found
        if time.monotonic() > deadline:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(ARTIFACTS / "timeout.png"))
            raise AssertionError(f"{css} did not appear in {timeout_s} s (screenshot: {ARTIFACTS / 'timeout.png'})")
        time.sleep(0.25)


def _analyze_the_demo(driver: WebDriver, url: str, demo: DemoMedia) -> None:
    """Open the page, upload the demo video in the Analyze tab and press Analyze."""
    driver.get(url)
    upload = _wait(driver, "#analyze-video input[type='file']", 60)[0]
    upload.send_keys(str(demo.video))  # type: ignore[attr-defined]
    _wait(driver, "#analyze-video video", 60)
    time.sleep(0.5)  # the upload's preview settles before the click
    driver.find_element(By.CSS_SELECTOR, "#analyze-run").click()


def _text(element: object) -> str:
    """What an element holds, visible on screen or not (tables render their cells lazily)."""
    return str(element.get_attribute("textContent") or "").strip()  # type: ignore[attr-defined]


def _tab(driver: WebDriver, name: str) -> None:
    for button in driver.find_elements(By.CSS_SELECTOR, "button[role='tab']"):
        if button.text.strip() == name:
            button.click()
            time.sleep(1.0)
            return
    raise AssertionError(f"no tab {name!r}")


def test_analyze_the_demo_in_the_browser(page: tuple[WebDriver, str], demo: DemoMedia) -> None:
    driver, url = page
    _analyze_the_demo(driver, url, demo)
    _wait(driver, "#analyze-status [data-status='done']", 180)
    videos = _wait(driver, "#analyze-annotated video", 60, lambda found: found[0].get_attribute("src"))
    assert "annotated" in (videos[0].get_attribute("src") or "")  # type: ignore[attr-defined]
    pictures = _wait(driver, "#analyze-timeline img", 60, lambda found: found[0].get_attribute("naturalWidth") != "0")
    assert int(pictures[0].get_attribute("naturalWidth")) >= 600  # type: ignore[attr-defined]
    table = _wait(driver, "#analyze-table", 30, lambda found: "motorcycle" in _text(found[0]))[0]
    assert "track" in _text(table) and "person" in _text(table) and "cup" in _text(table)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(str(ARTIFACTS / "analyze.png"))
    for name in ("Transcribe", "Generate", "Story", "Jobs", "Models"):
        _tab(driver, name)
        if name in ("Generate", "Story"):  # no text-to-video weights here: the tab says what to install
            notice = f"#{name.lower()}-notice"
            _wait(driver, notice, 30, lambda found: "studio models install" in _text(found[0]))
        if name == "Jobs":
            _wait(driver, "#jobs-table td", 30, lambda found: any(_text(cell) == "done" for cell in found))
        driver.save_screenshot(str(ARTIFACTS / f"{name.lower()}.png"))
    jobs_text = _text(driver.find_element(By.CSS_SELECTOR, "#jobs-table"))
    assert "analyze" in jobs_text and "done" in jobs_text
    _tab(driver, "Jobs")  # re-open a finished job's result: pick its row, then "Open result"
    job_id = next(_text(c) for c in driver.find_elements(By.CSS_SELECTOR, "#jobs-table td") if _text(c)[:2] == "20")
    cells = driver.find_elements(By.XPATH, f"//*[@id='jobs-table']//*[normalize-space(text())='{job_id}']")
    cell = next((c for c in cells if c.is_displayed()), None)
    assert cell is not None, [(c.tag_name, c.is_displayed()) for c in cells]
    cell.click()
    _wait(driver, "#jobs-id textarea, #jobs-id input", 30, lambda found: found[0].get_attribute("value"))
    driver.find_element(By.CSS_SELECTOR, "#jobs-open").click()
    _wait(driver, "#jobs-files [aria-label='timeline.json']", 30)
    _wait(driver, "#jobs-files [aria-label='annotated.mp4']", 30)


def test_the_page_shows_a_running_job_again_after_a_reload(page: tuple[WebDriver, str], demo: DemoMedia) -> None:
    driver, url = page
    _analyze_the_demo(driver, url, demo)
    status = _wait(driver, "#analyze-status [data-status='queued'], #analyze-status [data-status='running']", 60)[0]
    job_text = _text(status)
    driver.refresh()  # the job goes on in the server; the page finds it again
    again = _wait(driver, "#analyze-status [data-status]", 60)[0]
    job_id = job_text.split(" job ")[1].split(":")[0]
    assert job_id in _text(again)
    _wait(driver, "#analyze-status [data-status='done']", 180)


def test_a_story_from_the_example_script_plays_in_the_browser(tmp_path: Path) -> None:
    """The Story tab's own example, made by a tiny random-weight Wan registered only here."""
    pytest.importorskip("diffusers")
    from evaluations.tiny_pipelines import save_tiny_wan
    from models.generate_diffusers import SPECS
    from studio import media
    from studio.core import Settings
    from studio.registry import ModelCache, Registry

    wan = next(spec for spec in SPECS if spec.name == "wan2.1-t2v-1.3b")
    tiny = {"width": 64, "height": 64, "frames": 9, "fps": 8, "steps": 2, "call": {"max_sequence_length": 16}}
    spec = replace(
        wan, name="tiny-wan", source=f"path:{save_tiny_wan(tmp_path / 'wan')}", params={**wan.params, **tiny}
    )
    settings = Settings(tmp_path, tmp_path / "m", tmp_path / "o")
    service = StudioService.create(settings, cache=ModelCache(Registry([spec]), settings))
    demo, url = launch(ServeOptions(port=None), service=service, block=False)
    driver = _browser()
    try:
        driver.get(url)
        _wait(driver, "button[role='tab']", 60)
        _tab(driver, "Story")
        driver.find_element(By.CSS_SELECTOR, "#story-run").click()
        film = _wait(driver, "#story-video video", 180, lambda found: found[0].get_attribute("src"))[0]
        assert "film.mp4" in str(film.get_attribute("src"))  # type: ignore[attr-defined]
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / "story-film.png"))
        films = sorted((tmp_path / "o").rglob("film.mp4"))
        assert len(films) == 1 and [cue.text for cue in media.read_text_track(films[0])] == [
            "The city never sleeps.", "By morning, the road ends at the sea."]  # fmt: skip
    finally:
        driver.quit()
        demo.close()
        service.close()
