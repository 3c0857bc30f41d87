"""The page in a real browser: Debian's chromium through its chromedriver (no browser download).

Uploads the demo video in the Analyze tab, waits for the job, checks the annotated video, the
timeline picture and the table appear, and saves a screenshot of every tab to
``$STUDIO_TEST_ARTIFACTS`` (default ``outputs/test-artifacts``). Chromium and its driver are
part of the default install (``scripts/setup.sh --browser``): where they are missing the module
fails. Every wait is on the page's own state (selenium's explicit waits), never a sleep.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from studio.demo import DemoMedia
from studio.registry import default_cache
from ui.evaluate_tab import HARNESS_LABELS
from ui.launch import ServeOptions, launch
from ui.service import StudioService

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
ARTIFACTS = Path(os.environ.get("STUDIO_TEST_ARTIFACTS", "outputs/test-artifacts"))

# what each tab shows once it is the one on screen (Gradio renders a tab's panel when first opened)
TAB_SHOWS = {"Analyze": "#analyze-run", "Transcribe": "#transcribe-run", "Generate": "#generate-run",
             "Story": "#story-run", "Train": "#train-run", "Evaluate": "#evaluate-run", "Jobs": "#jobs-open",
             "Models": "#models-install"}  # fmt: skip

if not (BROWSER and DRIVER):
    pytest.fail("the browser test needs Debian's chromium and chromium-driver: run scripts/setup.sh --browser",
                pytrace=False)  # fmt: skip


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


def _until(driver: WebDriver, what: str, timeout_s: float, condition: Callable[[WebDriver], object]) -> object:
    """Selenium's explicit wait on ``condition`` (re-checked as the page changes; a re-rendered
    element counts as not yet there); on timeout a screenshot of the page, and a failure."""
    try:
        return WebDriverWait(driver, timeout_s, ignored_exceptions=(StaleElementReferenceException,)).until(condition)
    except TimeoutException:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / "timeout.png"))
        raise AssertionError(f"{what} within {timeout_s} s (screenshot: {ARTIFACTS / 'timeout.png'})") from None


def _wait(
    driver: WebDriver, css: str, timeout_s: float = 120, check: Callable[[list[WebElement]], object] | None = None
) -> list[WebElement]:
    """The elements matching ``css``, once there are some (and ``check`` holds for them)."""

    def found(page: WebDriver) -> list[WebElement] | bool:
        elements = page.find_elements(By.CSS_SELECTOR, css)
        return elements if elements and (check is None or check(elements)) else False

    return _until(driver, f"{css} did not appear", timeout_s, found)  # type: ignore[return-value]


def _analyze_the_demo(driver: WebDriver, url: str, demo: DemoMedia, fps: int | None = None) -> None:
    """Open the page as a first visit, upload the demo video in the Analyze tab (with ``fps``
    typed in, if given) and press Analyze."""
    driver.get(url)
    driver.execute_script("window.localStorage.clear()")  # no earlier job's form restored
    driver.get(url)
    upload = _wait(driver, "#analyze-video input[type='file']", 60)[0]
    upload.send_keys(str(demo.video))
    # uploaded: the preview plays the server's copy (not the browser's local file) and is loaded
    _wait(driver, "#analyze-video video", 60,
          lambda found: "/file=" in (found[0].get_attribute("src") or "")
          and found[0].get_attribute("readyState") not in (None, "0"))  # fmt: skip
    if fps is not None:
        field = driver.find_element(By.CSS_SELECTOR, "#analyze-fps input")
        field.clear()
        field.send_keys(str(fps))
    run = _until(driver, "the Analyze button was not clickable", 30,
                 expected_conditions.element_to_be_clickable((By.CSS_SELECTOR, "#analyze-run")))  # fmt: skip
    run.click()  # type: ignore[attr-defined]


def _text(element: WebElement) -> str:
    """What an element holds, visible on screen or not (tables render their cells lazily)."""
    return str(element.get_attribute("textContent") or "").strip()


def _tab(driver: WebDriver, name: str) -> None:
    """Open the tab ``name`` and wait until it is selected and its panel is on screen."""
    buttons = [b for b in driver.find_elements(By.CSS_SELECTOR, "button[role='tab']")
               if b.text.strip() == name and b.is_displayed()]  # fmt: skip
    if not buttons:  # a narrow window: the last tabs wait behind "More tabs"
        driver.find_element(By.CSS_SELECTOR, "button[aria-label='More tabs']").click()
        buttons = _until(driver, f"no tab {name!r} behind More tabs", 30,
                         lambda page: [b for b in page.find_elements(By.CSS_SELECTOR, "button")
                                       if b.text.strip() == name and b.is_displayed()])  # type: ignore[assignment]  # fmt: skip
    buttons[0].click()
    shows = TAB_SHOWS[name]

    def on_screen(page: WebDriver) -> bool:
        selected = [b for b in page.find_elements(By.CSS_SELECTOR, "button[role='tab']") if b.text.strip() == name]
        if not any(b.get_attribute("aria-selected") == "true" for b in selected):
            return False
        for panel in page.find_elements(By.CSS_SELECTOR, "[role='tabpanel']"):
            if not panel.is_displayed():
                continue
            if shows.startswith("#"):
                if any(e.is_displayed() for e in panel.find_elements(By.CSS_SELECTOR, shows)):
                    return True
            elif shows in panel.text:
                return True
        return False

    _until(driver, f"the {name} tab did not open", 30, on_screen)


def test_analyze_the_demo_in_the_browser(page: tuple[WebDriver, str], demo: DemoMedia) -> None:
    driver, url = page
    _analyze_the_demo(driver, url, demo)
    _wait(driver, "#analyze-status [data-status='done']", 180)
    videos = _wait(driver, "#analyze-annotated video", 60, lambda found: found[0].get_attribute("src"))
    assert "annotated" in (videos[0].get_attribute("src") or "")
    shots = _wait(driver, "#analyze-table", 30, lambda found: "espresso" in _text(found[0]))[0]
    assert _text(shots).count("shot") >= 4  # each shot's row says what the caption strip says of it
    pictures = _wait(driver, "#analyze-timeline img", 60, lambda found: found[0].get_attribute("naturalWidth") != "0")
    assert int(pictures[0].get_attribute("naturalWidth") or 0) >= 600
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
    _open_the_newest_job(driver)
    _the_job_shows_as_its_tab_shows_it(driver, url)
    driver.save_screenshot(str(ARTIFACTS / "jobs-opened.png"))


def _open_the_newest_job(driver: WebDriver) -> None:
    """In the Jobs tab, pick the newest job's row (its kind cell): it opens below the table."""
    _tab(driver, "Jobs")
    kind = "//*[@id='jobs-table']//*[normalize-space(text())='analyze']"
    cell = _until(
        driver,
        "no analyze job in the Jobs table",
        30,
        lambda page: next((c for c in page.find_elements(By.XPATH, kind) if c.is_displayed()), None),
    )
    cell.click()  # type: ignore[attr-defined]
    _wait(driver, "#jobs-id textarea, #jobs-id input", 30, lambda found: found[0].get_attribute("value"))


def _the_job_shows_as_its_tab_shows_it(driver: WebDriver, url: str) -> None:
    """The re-opened analysis: its status line, dates and settings; the annotated video with a
    poster that loads; the timeline picture; the table; the files; Cancel off (it has ended)."""
    import urllib.request

    summary = _wait(driver, "#jobs-summary [data-status='done']", 30)[0]
    text = _text(driver.find_element(By.CSS_SELECTOR, "#jobs-summary"))
    assert "Submitted 20" in text and " ran " in text and "files" in text and "demo.mp4" in text, text
    video = _wait(driver, "#jobs-annotated video", 30,
                  lambda found: "annotated" in (found[0].get_attribute("src") or "")
                  and (found[0].get_attribute("poster") or "").endswith("poster.jpg"))[0]  # fmt: skip
    poster = urllib.request.urlopen(str(video.get_attribute("poster")), timeout=30)
    assert poster.status == 200 and poster.read(3) == b"\xff\xd8\xff"  # a JPEG
    _wait(driver, "#jobs-timeline img", 30, lambda found: found[0].get_attribute("naturalWidth") not in (None, "0"))
    _wait(driver, "#jobs-rows", 30, lambda found: "motorcycle" in _text(found[0]))
    _wait(driver, "#jobs-files [aria-label='timeline.json']", 30)
    assert not driver.find_element(By.CSS_SELECTOR, "#jobs-cancel").is_enabled()
    assert summary.is_displayed()


def test_the_page_shows_a_running_job_again_after_a_reload(page: tuple[WebDriver, str], demo: DemoMedia) -> None:
    driver, url = page
    _analyze_the_demo(driver, url, demo, fps=3)
    status = _wait(driver, "#analyze-status [data-status='queued'], #analyze-status [data-status='running']", 60)[0]
    job_text = _text(status)
    trackers = "#analyze-status [data-testid='status-tracker']"  # Gradio's own timer text, over our line
    hidden = "return [...document.querySelectorAll(arguments[0])].every(e => getComputedStyle(e).display === 'none')"
    assert driver.execute_script(hidden, trackers)
    driver.refresh()  # the job goes on in the server; the page finds it again, and the form it came from
    again = _wait(driver, "#analyze-status [data-status]", 60)[0]
    job_id = job_text.split(" job ")[1].split(":")[0]
    assert job_id in _text(again)
    _wait(driver, "#analyze-fps input", 30, lambda found: found[0].get_attribute("value") == "3")
    _wait(driver, "#analyze-video video", 30, lambda found: "/file=" in (found[0].get_attribute("src") or ""))
    _wait(driver, "#analyze-status [data-status='done']", 180)


def test_a_story_from_the_example_script_plays_in_the_browser(tmp_path: Path) -> None:
    """The Story tab's own example, made by a tiny random-weight Wan registered only here."""
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
        assert "film.mp4" in str(film.get_attribute("src"))
        scores = _wait(driver, "#story-scores table", 60)[0]  # scored per shot, under the film
        rows = scores.find_elements(By.CSS_SELECTOR, "tr")
        assert len(rows) == 3 and "a red car drives down a city street" in _text(rows[1])
        said = _text(driver.find_element(By.CSS_SELECTOR, "#story-scores"))
        assert "Film timing: pass" in said and "prompt skipped: no detect model is registered" in said
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / "story-film.png"))
        films = sorted((tmp_path / "o").rglob("film.mp4"))
        assert len(films) == 1 and [cue.text for cue in media.read_text_track(films[0])] == [
            "The city never sleeps.", "By morning, the road ends at the sea."]  # fmt: skip
    finally:
        driver.quit()
        demo.close()
        service.close()


# -- refusals, where the user is looking ------------------------------------------------------


@pytest.fixture(scope="module")
def bad_media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A corrupt video, a corrupt recording, a corrupt picture and a real video with no audio
    track, each under a name of its own (the messages must quote these names)."""
    import numpy as np

    from studio import media

    folder = tmp_path_factory.mktemp("bad")
    noise = np.random.default_rng(7).integers(0, 256, 50_000, dtype=np.uint8).tobytes()
    (folder / "broken clip.mp4").write_bytes(noise)
    (folder / "broken talk.wav").write_bytes(b"RIFF" + noise)
    (folder / "broken start.png").write_bytes(noise)
    with media.VideoWriter(folder / "silent film.mp4", fps=10) as writer:
        for index in range(20):
            writer.write(np.full((64, 96, 3), index * 10, np.uint8))
    return {"video": folder / "broken clip.mp4", "audio": folder / "broken talk.wav",
            "picture": folder / "broken start.png", "silent": folder / "silent film.mp4"}  # fmt: skip


ON_SCREEN = """const r = arguments[0].getBoundingClientRect();
return r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0
    && r.top < window.innerHeight && r.left < window.innerWidth;"""


def _on_screen(driver: WebDriver, element: WebElement) -> bool:
    """Whether ``element`` is drawn inside the window (selenium's is_displayed misses toasts
    while they animate in)."""
    return bool(driver.execute_script(ON_SCREEN, element))


def _toasts(driver: WebDriver) -> list[WebElement]:
    return [toast for toast in driver.find_elements(By.CSS_SELECTOR, ".toast-body") if _on_screen(driver, toast)]


def _refused(driver: WebDriver, tab: str, expected: str) -> str:
    """The tab's status line shows the refusal, and so does a toast on screen; both say
    ``expected``. The toast is closed for the next one."""
    line = _wait(driver, f"#{tab}-status [data-status='refused']", 30, lambda found: expected in _text(found[0]))[0]
    shown = _until(driver, f"no toast said {expected!r}", 30,
                   lambda page: [t for t in _toasts(page) if expected in _text(t)])  # fmt: skip
    for toast in shown:  # type: ignore[attr-defined]
        toast.find_element(By.CSS_SELECTOR, ".toast-close").click()
    _until(driver, "the toasts did not close", 30, lambda page: not _toasts(page))
    return _text(line)


def _upload(driver: WebDriver, css: str, path: Path) -> None:
    """Put ``path`` in the file field ``css`` and wait until the page holds the server's copy."""
    _wait(driver, f"{css} input[type='file']", 30)[0].send_keys(str(path))

    def uploaded(page: WebDriver) -> bool:
        field = page.find_element(By.CSS_SELECTOR, css)
        previews = field.find_elements(By.CSS_SELECTOR, "video[src*='file='], img[src*='file=']")
        return path.name in (field.get_attribute("innerHTML") or "") or bool(previews)

    _until(driver, f"{path.name} was not uploaded", 60, uploaded)


def _clear(driver: WebDriver, css: str) -> None:
    """Empty a file field with its own clear button."""
    for button in driver.find_elements(By.CSS_SELECTOR, f"{css} button[aria-label='Clear']"):
        if button.is_displayed():
            button.click()
    held = f"{css} video, {css} img, {css} .file-name"
    _until(driver, f"{css} was not cleared", 30, lambda page: not page.find_elements(By.CSS_SELECTOR, held))


def _tick(driver: WebDriver, label: str) -> None:
    boxes = driver.find_elements(By.XPATH, f"//label[normalize-space(.)='{label}']//input[@type='checkbox']")
    assert boxes, f"no checkbox {label!r}"
    boxes[0].click()


def _evaluate_the_demo(driver: WebDriver, demo: DemoMedia, inner: int) -> None:
    """The Evaluate tab: the demo's frame timing checked, its verdict and scores on screen and
    inside the window, its frame-interval plot shown."""
    _tab(driver, "Evaluate")
    _clear(driver, "#evaluate-file")
    _upload(driver, "#evaluate-file", demo.video)
    _tick(driver, HARNESS_LABELS["quality"])  # off: the timing alone, quick
    driver.find_element(By.CSS_SELECTOR, "#evaluate-run").click()
    _wait(driver, "#evaluate-status [data-status='done']", 120)
    verdict = _wait(driver, "#evaluate-verdict [data-verdict='pass']", 30)[0]
    assert "demo.mp4" in _text(verdict) and "fps.dropped_frames" in _text(verdict)
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", verdict)
    assert _on_screen(driver, verdict) and verdict.rect["x"] + verdict.rect["width"] <= inner + 1
    _wait(driver, "#evaluate-plots img", 30)


def test_every_tab_shows_its_refusals(page: tuple[WebDriver, str], bad_media: dict[str, Path]) -> None:
    """An empty form, a corrupt file and a video without sound on each tab: the one-line
    message, with the user's own file name, in the tab's status line and a toast."""
    driver, url = page
    driver.get(url)
    driver.execute_script("window.localStorage.clear()")  # a first visit: no earlier job's form restored
    driver.get(url)
    _wait(driver, "#analyze-run", 60)
    driver.find_element(By.CSS_SELECTOR, "#analyze-run").click()
    assert "no video given" in _refused(driver, "analyze", "no video given")
    _upload(driver, "#analyze-video", bad_media["video"])
    driver.find_element(By.CSS_SELECTOR, "#analyze-run").click()
    line = _refused(driver, "analyze", "broken clip.mp4")
    assert "/tmp" not in line and "gradio" not in line  # the user's name, not the server's upload path
    _clear(driver, "#analyze-video")
    _upload(driver, "#analyze-video", bad_media["silent"])
    _tick(driver, "speech")
    driver.find_element(By.CSS_SELECTOR, "#analyze-run").click()
    assert "silent film.mp4 has no audio track" in _refused(driver, "analyze", "silent film.mp4 has no audio track")

    _tab(driver, "Transcribe")
    driver.find_element(By.CSS_SELECTOR, "#transcribe-run").click()
    _refused(driver, "transcribe", "no ")
    _upload(driver, "#transcribe-file", bad_media["audio"])
    driver.find_element(By.CSS_SELECTOR, "#transcribe-run").click()
    _refused(driver, "transcribe", "broken talk.wav")
    _clear(driver, "#transcribe-file")
    _upload(driver, "#transcribe-file", bad_media["silent"])
    driver.find_element(By.CSS_SELECTOR, "#transcribe-run").click()
    _refused(driver, "transcribe", "silent film.mp4")
    transcript = driver.find_element(By.CSS_SELECTOR, "#transcribe-text textarea")
    assert transcript.get_attribute("value") == ""  # no earlier transcript left to pass for this one

    _tab(driver, "Generate")  # no text-to-video weights here: every submit says what to install
    driver.find_element(By.CSS_SELECTOR, "#generate-run").click()
    _refused(driver, "generate", "studio models install")

    _tab(driver, "Story")
    script = driver.find_element(By.CSS_SELECTOR, "#story-script .cm-content")
    script.click()
    script.send_keys(Keys.CONTROL, "a")
    script.send_keys(Keys.DELETE)
    driver.find_element(By.CSS_SELECTOR, "#story-run").click()
    _refused(driver, "story", "")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "refused-story.png"))

    _tab(driver, "Train")
    driver.find_element(By.CSS_SELECTOR, "#train-run").click()
    _refused(driver, "train", "give the folder of labelled clips")
    driver.find_element(By.CSS_SELECTOR, "#train-folder textarea, #train-folder input").send_keys("/etc")
    driver.find_element(By.CSS_SELECTOR, "#train-name textarea, #train-name input").send_keys("mine")
    driver.find_element(By.CSS_SELECTOR, "#train-run").click()
    assert "got '/etc'" in _refused(driver, "train", "the server trains only on folders inside its datasets folder")
    driver.save_screenshot(str(ARTIFACTS / "refused-train.png"))

    _tab(driver, "Evaluate")
    driver.find_element(By.CSS_SELECTOR, "#evaluate-run").click()
    _refused(driver, "evaluate", "no video given")
    _upload(driver, "#evaluate-file", bad_media["video"])
    driver.find_element(By.CSS_SELECTOR, "#evaluate-run").click()
    line = _refused(driver, "evaluate", "broken clip.mp4")
    assert "/tmp" not in line and "gradio" not in line
    _clear(driver, "#evaluate-file")
    _upload(driver, "#evaluate-file", bad_media["silent"])
    _tick(driver, HARNESS_LABELS["prompt"])
    driver.find_element(By.CSS_SELECTOR, "#evaluate-run").click()
    _refused(driver, "evaluate", "prompt adherence needs the prompt")
    driver.save_screenshot(str(ARTIFACTS / "refused-evaluate.png"))


SIZES = {"desktop": (1440, 900), "phone": (390, 844)}


@pytest.mark.parametrize("size", list(SIZES))
def test_every_tab_at_desktop_and_phone_sizes(page: tuple[WebDriver, str], demo: DemoMedia, size: str) -> None:
    """A screenshot of every tab at 1440x900 and 390x844 (in ``$STUDIO_TEST_ARTIFACTS``); on both
    the status line fits the window, the Jobs table shows each job's status and progress, a job
    opens, and the offline install ends with its status line saying done."""
    driver, url = page
    width, height = SIZES[size]
    # the device's own metrics: a headless window is never narrower than 500 px
    metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": size == "phone"}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    try:
        _analyze_the_demo(driver, url, demo)
        status = _wait(driver, "#analyze-status [data-status='done']", 180)[0]
        inner = int(driver.execute_script("return window.innerWidth"))
        assert inner == width
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", status)
        assert _on_screen(driver, status) and status.rect["x"] + status.rect["width"] <= inner + 1
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        driver.execute_script("window.scrollTo(0, 0)")
        driver.save_screenshot(str(ARTIFACTS / f"{size}-analyze.png"))
        for name in ("Transcribe", "Generate", "Story", "Train"):
            _tab(driver, name)
            driver.save_screenshot(str(ARTIFACTS / f"{size}-{name.lower()}.png"))
        _evaluate_the_demo(driver, demo, inner)
        driver.save_screenshot(str(ARTIFACTS / f"{size}-evaluate.png"))
        _tab(driver, "Jobs")
        for header in ("status", "progress"):  # what a person follows, on screen at any width
            cell = driver.find_element(By.XPATH, f"//*[@id='jobs-table']//th[.//*[normalize-space(text())='{header}']]")
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", cell)
            assert _on_screen(driver, cell) and cell.rect["x"] + cell.rect["width"] <= inner + 1, header
        _wait(driver, "#jobs-table td", 30, lambda found: any(_text(cell) == "done" for cell in found))
        driver.save_screenshot(str(ARTIFACTS / f"{size}-jobs.png"))
        _open_the_newest_job(driver)
        _the_job_shows_as_its_tab_shows_it(driver, url)
        summary = driver.find_element(By.CSS_SELECTOR, "#jobs-summary")
        driver.execute_script("arguments[0].scrollIntoView()", summary)
        driver.save_screenshot(str(ARTIFACTS / f"{size}-jobs-opened.png"))
        _tab(driver, "Models")
        driver.find_element(By.CSS_SELECTOR, "#models-install").click()
        _wait(driver, "#models-install-status [data-status='done']", 120)
        assert "Installed " in _text(driver.find_element(By.CSS_SELECTOR, "#models-installed"))
        driver.execute_script("window.scrollTo(0, 0)")
        driver.save_screenshot(str(ARTIFACTS / f"{size}-models.png"))
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_an_auth_server_shows_its_login_form_then_the_studio(tmp_path: Path) -> None:
    """``--auth``: the browser meets Gradio's login form (every file it needs loads without
    credentials), a wrong password is refused on the form, the right one opens the studio."""
    cache = default_cache()
    service = StudioService.create(replace(cache.settings, outputs_dir=tmp_path / "outputs"), cache=cache)
    demo, url = launch(ServeOptions(port=None, auth=("admin", "secret")), service=service, block=False)
    driver = _browser()
    try:
        driver.get(url)
        fields = _wait(driver, "input", 60, lambda found: len(found) >= 2)
        assert driver.find_elements(By.CSS_SELECTOR, "#analyze-run") == []
        assert driver.execute_script("return Object.keys(window.gradio_api_info.named_endpoints).length") == 0
        fields[0].send_keys("admin")
        fields[1].send_keys("guess")
        driver.find_element(By.CSS_SELECTOR, "button").click()
        _until(driver, "the wrong password was not refused on the form", 30,
               lambda page: "Incorrect Credentials" in page.find_element(By.TAG_NAME, "body").text)  # fmt: skip
        fields = driver.find_elements(By.CSS_SELECTOR, "input")
        for field, typed in zip(fields, ("admin", "secret"), strict=False):
            field.clear()
            field.send_keys(typed)
        driver.find_element(By.CSS_SELECTOR, "button").click()
        _wait(driver, "#analyze-run", 60)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / "logged-in.png"))
        answered = driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => [e.responseStatus, e.name])"
        )
        assert sum(status == 200 for status, _ in answered) > 10, answered  # the browser reports statuses
        failed = [(status, name) for status, name in answered if status >= 400 and not name.endswith("/login")]
        assert failed == [], failed  # only the wrong password's own /login answered an error
    finally:
        driver.quit()
        demo.close()
        service.close()


def test_a_page_asks_for_its_job_only_while_it_runs(tmp_path: Path, demo: DemoMedia,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """A tab's timer follows its job while it runs and stops once the ended job is shown: a page
    left open (every tab opened) then asks for no job at all, while the Jobs table's own refresh,
    the clock here, goes on (seven tabs ticking every second kept a headless Chromium busy)."""
    from ui import polling

    ticks: list[str | None] = []
    following = polling.watch_job

    def counted(service: StudioService, render: Any, outputs: int) -> Any:
        tick = following(service, render, outputs)

        def counting(job_id: str | None, shown: str | None) -> tuple[Any, ...]:
            ticks.append(job_id)
            return tick(job_id, shown)  # type: ignore[no-any-return]

        return counting

    monkeypatch.setattr(polling, "watch_job", counted)
    cache = default_cache()
    service = StudioService.create(replace(cache.settings, outputs_dir=tmp_path / "outputs"), cache=cache)
    refreshes: list[int] = []
    table = service.jobs_table

    def counted_table(limit: int = 50) -> list[list[Any]]:
        refreshes.append(limit)
        return table(limit)

    monkeypatch.setattr(service, "jobs_table", counted_table)
    app, url = launch(ServeOptions(port=None), service=service, block=False)
    driver = _browser()
    try:
        _analyze_the_demo(driver, url, demo)
        _wait(driver, "#analyze-status [data-status='done']", 180)
        assert ticks and all(ticks), "the running job was followed"
        for name in TAB_SHOWS:  # every tab's timer mounted; none has a job but Analyze's, which ended
            _tab(driver, name)
        seen, clock = len(ticks), len(refreshes)
        _until(driver, "the Jobs table did not refresh three times", 60, lambda page: len(refreshes) >= clock + 3)
        assert len(ticks) == seen, f"{len(ticks) - seen} job polls from a page with nothing running"
        assert driver.find_elements(By.CSS_SELECTOR, "#analyze-status [data-status='done']")  # still shown
    finally:
        driver.quit()
        app.close()
        service.close()
