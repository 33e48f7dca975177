"""The step-through page in a real browser: headless Chromium driven by Playwright.

Needs the ``dot`` program, Debian's Chromium (``/usr/bin/chromium``; Playwright's own browser
download is not used) and the ``playwright`` package; skipped with the reason when one is missing.
"""

import shutil
from pathlib import Path

import pytest

from viz.expression import build

pytestmark = [pytest.mark.browser, pytest.mark.needs_dot]

SIGMOID = "1/(1+exp(-(w0*x0+w1*x1+w2)))"
SIGMOID_VALUES = {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

# In the page: the visible frame's active gate, read from the data attribute and from the SVG
# itself (the fill of the node whose <title> is that DOT id, and whether that fill is unique).
ACTIVE_NODE = """() => {
  const frames = [...document.querySelectorAll("figure.frame")].filter(f => !f.hidden);
  const frame = frames[0];
  const fills = {};
  for (const node of frame.querySelectorAll("g.node")) {
    const shape = node.querySelector("ellipse, polygon, path");
    fills[node.querySelector("title").textContent] = shape ? shape.getAttribute("fill") : null;
  }
  const id = frame.dataset.active;
  const fill = fills[id] || null;
  const others = Object.entries(fills).filter(([k]) => k !== id).map(([, v]) => v);
  return {visible: frames.length, step: frame.dataset.step, id: id, fill: fill,
          unique: fill !== null && !others.includes(fill)};
}"""


def _chromium() -> str:
    candidates = ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser"))
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return candidate
    pytest.skip("no Chromium installed (/usr/bin/chromium); the test command installs it with apt")


@pytest.fixture(scope="module")
def browser():
    if shutil.which("dot") is None:
        pytest.skip("Graphviz dot not installed; the page cannot be rendered")
    executable = _chromium()
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright not installed (pip install playwright)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, tmp_path):
    from viz.stepthrough import write_stepthrough

    path = write_stepthrough(build(SIGMOID, SIGMOID_VALUES).output, tmp_path / "steps.html",
                             title=SIGMOID)
    tab = browser.new_page(viewport={"width": 1280, "height": 800})
    requests = []
    tab.on("request", lambda request: requests.append(request.url))
    tab.goto(path.as_uri())
    yield tab
    tab.close()
    assert all(url.startswith("file://") for url in requests), requests


@pytest.fixture
def step_texts():
    return [step.describe() for step in build(SIGMOID, SIGMOID_VALUES).output.backward_steps()]


def caption(tab) -> str:
    return tab.locator("#caption").text_content()


def test_buttons_keys_and_slider_move_through_the_engines_steps(page, step_texts, tmp_path):
    assert caption(page).startswith("forward pass: output = 0.7311")
    assert page.locator("#counter").text_content() == "step 0 / 8"
    assert page.locator("#prev").is_disabled() and page.locator("#next").is_enabled()
    start = page.evaluate(ACTIVE_NODE)
    assert start["visible"] == 1 and start["step"] == "0" and start["id"] == ""

    page.locator("#next").click()
    assert caption(page) == step_texts[0]
    assert page.locator("#counter").text_content() == "step 1 / 8"
    first = page.evaluate(ACTIVE_NODE)
    assert first["visible"] == 1 and first["id"] and first["unique"]

    page.locator("body").press("ArrowRight")
    assert caption(page) == step_texts[1]
    second = page.evaluate(ACTIVE_NODE)
    assert second["step"] == "2" and second["unique"] and second["id"] != first["id"]

    page.keyboard.press("ArrowLeft")
    assert caption(page) == step_texts[0] and page.evaluate(ACTIVE_NODE)["id"] == first["id"]

    page.locator("#slider").fill("8")
    assert caption(page) == step_texts[7]
    assert page.locator("#counter").text_content() == "step 8 / 8"
    assert page.locator("#next").is_disabled()
    page.keyboard.press("ArrowRight")  # nothing after the last step
    assert caption(page) == step_texts[7]

    page.locator("#slider").focus()  # the slider moves itself: one step, not two
    page.keyboard.press("ArrowLeft")
    assert caption(page) == step_texts[6]
    assert page.locator("#counter").text_content() == "step 7 / 8"

    page.keyboard.press("Home")
    page.locator("body").press("Home")
    assert caption(page).startswith("forward pass")

    shot = page.screenshot(path=str(tmp_path / "steps.png"), full_page=True)
    assert shot[:8] == b"\x89PNG\r\n\x1a\n"


def test_diagram_is_big_and_caption_readable(page):
    size = page.evaluate("""() => {
      const svg = [...document.querySelectorAll("figure.frame")].find(f => !f.hidden)
        .querySelector("svg").getBoundingClientRect();
      const caption = getComputedStyle(document.getElementById("caption"));
      return {width: svg.width, height: svg.height, font: parseFloat(caption.fontSize)};
    }""")
    assert size["width"] > 800 and size["height"] > 150 and size["font"] >= 14


def test_the_diagram_does_not_move_between_frames(page):
    """Same box for the diagram and for every gate in every frame, and the caption above it keeps
    its height, so stepping never shifts the picture."""
    measure = """() => {
      const frame = [...document.querySelectorAll("figure.frame")].find(f => !f.hidden);
      const box = r => [r.x, r.y, r.width, r.height].map(v => Math.round(v * 100) / 100);
      const gates = {};
      for (const node of frame.querySelectorAll("g.node")) {
        gates[node.querySelector("title").textContent] = box(node.getBoundingClientRect());
      }
      return {svg: box(frame.querySelector("svg").getBoundingClientRect()), gates: gates,
              caption: box(document.getElementById("caption").getBoundingClientRect())};
    }"""
    seen = []
    for k in range(9):
        page.locator("#slider").fill(str(k))
        assert page.locator("#counter").text_content() == f"step {k} / 8"
        seen.append(page.evaluate(measure))
    assert all(s["svg"] == seen[0]["svg"] for s in seen), [s["svg"] for s in seen]
    assert all(s["caption"] == seen[0]["caption"] for s in seen), [s["caption"] for s in seen]
    for s in seen[1:]:
        # the active gate's border is thicker, so compare centres, not outlines
        for title, (x, y, w, h) in s["gates"].items():
            x0, y0, w0, h0 = seen[0]["gates"][title]
            assert abs((x + w / 2) - (x0 + w0 / 2)) < 0.01, (title, s["gates"][title])
            assert abs((y + h / 2) - (y0 + h0 / 2)) < 0.01, (title, s["gates"][title])
