"""The step-through page in a real browser: headless Chromium driven by Playwright, at a
projector's 1920x1080 (and a laptop's 1366x768).

Needs the ``dot`` program, Debian's Chromium (``/usr/bin/chromium``; Playwright's own browser
download is not used) and the ``playwright`` package; skipped with the reason when one is missing.
"""

import re
import shutil
from pathlib import Path

import pytest

from viz.expression import build
from viz.layout import GRAD_COLOR, LOCAL_COLOR, VALUE_COLOR

pytestmark = [pytest.mark.browser, pytest.mark.needs_dot]

SIGMOID = "1/(1+exp(-(w0*x0+w1*x1+w2)))"
SIGMOID_VALUES = {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PROJECTOR = {"width": 1920, "height": 1080}
LAPTOP = {"width": 1366, "height": 768}

# In the page: the highlighted gate (its DOT id and computed fill, and whether that fill is
# unique among the gates) and the visible frame number.
ACTIVE_NODE = """() => {
  const svg = document.querySelector("#stage svg");
  const fills = {};
  for (const node of svg.querySelectorAll("g.node")) {
    const shape = node.querySelector("ellipse, polygon, path");
    fills[node.id] = shape ? getComputedStyle(shape).fill : null;
  }
  const active = [...svg.querySelectorAll("g.node.active")].map(g => g.id);
  const id = active.length === 1 ? active[0] : "";
  const fill = fills[id] || null;
  const others = Object.entries(fills).filter(([k]) => k !== id).map(([, v]) => v);
  return {count: active.length, step: document.body.dataset.current, id: id,
          unique: fill !== null && !others.includes(fill)};
}"""

# Every text of the diagram that is visible now: [text, fill, height of its box on screen].
VISIBLE_TEXTS = """() => [...document.querySelectorAll("#stage svg text")]
  .filter(t => getComputedStyle(t).visibility !== "hidden")
  .map(t => [t.textContent.trim(), t.getAttribute("fill"), t.getBoundingClientRect().height])"""


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


@pytest.fixture(scope="module")
def page_path(tmp_path_factory):
    from viz.stepthrough import write_stepthrough

    return write_stepthrough(build(SIGMOID, SIGMOID_VALUES).output,
                             tmp_path_factory.mktemp("page") / "steps.html")


@pytest.fixture
def open_page(browser, page_path):
    """``open_page(fragment="", viewport=PROJECTOR)``: a tab showing the page; afterwards, checks
    that it fetched nothing from the network and raised no script error."""
    tabs = []

    def open_(fragment="", viewport=PROJECTOR):
        tab = browser.new_page(viewport=viewport)
        tab.requests, tab.errors = [], []
        tab.on("request", lambda request: tab.requests.append(request.url))
        tab.on("pageerror", lambda error: tab.errors.append(str(error)))
        tab.goto(page_path.as_uri() + fragment)
        tabs.append(tab)
        return tab

    yield open_
    for tab in tabs:
        assert all(url.startswith("file://") for url in tab.requests), tab.requests
        assert tab.errors == []
        tab.close()


@pytest.fixture
def page(open_page):
    return open_page()


@pytest.fixture(scope="module")
def step_texts():
    return [step.describe() for step in build(SIGMOID, SIGMOID_VALUES).output.backward_steps()]


def caption(tab) -> str:
    return tab.locator("#caption").text_content()


def visible(tab):
    return tab.evaluate(VISIBLE_TEXTS)


def test_buttons_keys_and_slider_move_through_the_engines_steps(page, step_texts, tmp_path):
    assert caption(page) == ("forward pass: f = 0.7311; the backward pass starts at the output "
                             "with gradient 1")
    assert page.locator("#counter").text_content() == "step 0 / 8"
    assert page.locator("#prev").is_disabled() and page.locator("#next").is_enabled()
    start = page.evaluate(ACTIVE_NODE)
    assert start["count"] == 0 and start["step"] == "0"

    page.locator("#next").click()
    assert caption(page) == step_texts[0]
    assert page.locator("#counter").text_content() == "step 1 / 8"
    first = page.evaluate(ACTIVE_NODE)
    assert first["count"] == 1 and first["unique"]

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

    page.locator("body").press("Home")
    assert caption(page).startswith("forward pass") and page.evaluate(ACTIVE_NODE)["count"] == 0
    page.locator("body").press("End")
    assert caption(page) == step_texts[7]

    shot = page.screenshot(path=str(tmp_path / "steps.png"), full_page=True)
    assert shot[:8] == b"\x89PNG\r\n\x1a\n"


def test_title_and_heading_show_the_formula(page):
    formula = "1/(1 + exp(-(w0*x0 + w1*x1 + w2)))"
    assert page.title() == formula
    assert page.locator("h1").text_content() == formula


def test_on_a_projector_the_diagram_fills_the_screen_and_numbers_are_16px(page):
    size = page.evaluate("""() => {
      const graph = document.querySelector("#stage svg g.graph").getBoundingClientRect();
      const stage = document.getElementById("stage").getBoundingClientRect();
      const caption = getComputedStyle(document.getElementById("caption"));
      return {width: graph.width, height: graph.height, stageWidth: stage.width,
              stageHeight: stage.height, bottom: stage.bottom, font: parseFloat(caption.fontSize),
              scroll: document.scrollingElement.scrollHeight};
    }""")
    # whichever of width and height binds is filled (the stage is the window less the controls)
    assert (size["width"] >= 0.97 * size["stageWidth"]
            or size["height"] >= 0.97 * size["stageHeight"]), size
    assert size["width"] >= 0.95 * PROJECTOR["width"], size  # this diagram is wide: width binds
    assert size["bottom"] <= PROJECTOR["height"] and size["scroll"] <= PROJECTOR["height"]
    assert size["font"] >= 18
    page.keyboard.press("End")
    numbers = [(text, fill, height) for text, fill, height in visible(page)
               if fill in (VALUE_COLOR, GRAD_COLOR) and re.fullmatch(r"-?[\d.]+", text)]
    assert len(numbers) >= 25
    assert min(height for _, _, height in numbers) >= 16, numbers
    local = [height for text, fill, height in visible(page) if fill == LOCAL_COLOR]
    assert local and min(local) >= 16


def test_on_a_laptop_everything_fits_without_scrolling(open_page):
    tab = open_page(viewport=LAPTOP)
    size = tab.evaluate("""() => {
      const graph = document.querySelector("#stage svg g.graph").getBoundingClientRect();
      return {width: graph.width, right: graph.right, bottom: graph.bottom,
              scroll: document.scrollingElement.scrollHeight};
    }""")
    assert size["width"] >= 0.95 * LAPTOP["width"] and size["right"] <= LAPTOP["width"]
    assert size["bottom"] <= LAPTOP["height"] and size["scroll"] <= LAPTOP["height"]


def test_zoom_keys_and_buttons_make_the_numbers_bigger(page):
    def size():
        graph = page.evaluate("document.querySelector('#stage svg g.graph')"
                              ".getBoundingClientRect().width")
        return graph, max(height for _, fill, height in visible(page) if fill == VALUE_COLOR)

    fit, fit_text = size()
    page.keyboard.press("+")
    page.keyboard.press("+")
    width, text = size()
    assert width == pytest.approx(fit * 1.25 ** 2, rel=0.01) and text > 1.4 * fit_text
    page.keyboard.press("-")
    assert size()[0] == pytest.approx(fit * 1.25, rel=0.01)
    page.keyboard.press("0")
    assert size() == (pytest.approx(fit, rel=0.001), pytest.approx(fit_text, rel=0.001))
    page.locator("#zoom-in").click()
    assert size()[0] == pytest.approx(fit * 1.25, rel=0.01)
    page.locator("#zoom-out").click()
    page.locator("#zoom-out").click()
    assert size()[0] == pytest.approx(fit / 1.25, rel=0.01)
    page.locator("#zoom-fit").click()
    assert size()[0] == pytest.approx(fit, rel=0.001)
    assert page.evaluate("document.body.dataset.zoom") == "1"


def test_the_legend_names_the_three_colours(page):
    keys = page.evaluate("""() => [...document.querySelectorAll("#legend .key")].map(k => [
      k.textContent.trim(), getComputedStyle(k.querySelector(".swatch")).backgroundColor])""")
    rgb = lambda hex_: "rgb({}, {}, {})".format(*(int(hex_[i:i + 2], 16) for i in (1, 3, 5)))
    assert [(text.split()[0], color) for text, color in keys] == [
        ("value", rgb(VALUE_COLOR)), ("gradient", rgb(GRAD_COLOR)), ("local", rgb(LOCAL_COLOR))]
    assert page.locator("#legend").is_visible()


def test_a_deep_link_opens_that_step_and_moving_updates_the_address(open_page, step_texts):
    tab = open_page("#step=5")
    assert tab.locator("#counter").text_content() == "step 5 / 8"
    assert caption(tab) == step_texts[4]
    assert tab.evaluate(ACTIVE_NODE)["count"] == 1
    tab.keyboard.press("ArrowRight")
    assert tab.evaluate("location.hash") == "#step=6" and caption(tab) == step_texts[5]
    tab.keyboard.press("ArrowLeft")
    tab.keyboard.press("ArrowLeft")
    assert tab.evaluate("location.hash") == "#step=4"
    tab.locator("#slider").fill("2")
    assert tab.evaluate("location.hash") == "#step=2"
    tab.evaluate("location.hash = '#step=7'")  # an edited address moves the page too
    tab.wait_for_function("document.body.dataset.current === '7'")
    assert caption(tab) == step_texts[6]
    far = open_page("#step=99")  # past the end: the last step
    assert far.locator("#counter").text_content() == "step 8 / 8"


def test_frame_1_shows_the_local_gradients_and_only_the_gradients_reached(page):
    page.keyboard.press("ArrowRight")
    texts = visible(page)
    local = [text for text, fill, _ in texts if fill == LOCAL_COLOR]
    assert "local -0.5344" in local and "local 2" in local and len(local) == 12
    grads = [text for text, fill, _ in texts if fill == GRAD_COLOR]
    assert sorted(grads) == ["-0.5344", "1"]  # the seed and step 1's product, nothing more
    page.keyboard.press("End")
    grads = [text for text, fill, _ in visible(page) if fill == GRAD_COLOR]
    assert "0.3932" in grads and "-0.5898" in grads and len(grads) == 13


def test_every_name_a_caption_uses_is_in_the_diagram(page, step_texts):
    for k, text in enumerate(step_texts, 1):
        page.locator("#slider").fill(str(k))
        drawn = {t for t, _, _ in visible(page)}
        head = re.match(r"step \d+/\d+: (\S+) = (.*?) = ", text)
        names = {head.group(1)} | set(re.findall(r"(\w+)\.grad \+=", text))
        names |= set(re.findall(r"[A-Za-z_]\w*", head.group(2))) - {"exp"}
        for name in names:
            assert name in drawn or f"{name} =" in drawn, (k, name, sorted(drawn))


def test_the_diagram_does_not_move_between_frames(page):
    """Same box for the diagram and for every gate in every frame, and the caption above it keeps
    its height, so stepping never shifts the picture."""
    measure = """() => {
      const box = r => [r.x, r.y, r.width, r.height].map(v => Math.round(v * 100) / 100);
      const gates = {};
      for (const node of document.querySelectorAll("#stage svg g.node")) {
        gates[node.id] = box(node.getBoundingClientRect());
      }
      return {svg: box(document.querySelector("#stage svg").getBoundingClientRect()),
              gates: gates, caption: box(document.getElementById("caption")
                                         .getBoundingClientRect())};
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
