"""``circuitgrad serve`` end to end: a real server in a subprocess, driven over HTTP and from
headless Chromium (Playwright, Debian's /usr/bin/chromium).

The server starts once per module on a free port (``--port 0``; the test reads the URL it
prints) and must stop with exit status 0 on SIGINT (Ctrl-C).
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the serve extra is not installed "
                    "(pip install 'circuitgrad[serve]')")
pytest.importorskip("uvicorn", reason="the serve extra is not installed")

pytestmark = pytest.mark.needs_dot

ROOT = Path(__file__).resolve().parents[2]
XYZ = "/?expr=(x%2By)*z&x=-2&y=5&z=-4"
SIGMOID = ("/?expr=" + urllib.parse.quote("1/(1+exp(-(w0*x0+w1*x1+w2)))", safe="")
           + "&w0=2&x0=-1&w1=-3&x1=-2&w2=-3")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
STATIC = ROOT / "viz" / "serve" / "static"


def start_server():
    """``python -m viz serve --port 0``; returns the process and its URL (from its first line)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    process = subprocess.Popen([sys.executable, "-m", "viz", "serve", "--port", "0"], cwd=ROOT,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    line = process.stdout.readline()
    found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    if not found:
        process.kill()
        raise AssertionError(f"no URL printed: {line!r} {process.stderr.read()!r}")
    return process, found.group(0).rstrip("/")


def stop_server(process):
    """Ctrl-C; the server must say it stopped and exit 0 with nothing on stderr."""
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)  # a guard against a hang, not a speed check
    assert process.returncode == 0, err
    assert "stopped" in out
    assert "Traceback" not in err, err


@pytest.fixture(scope="module")
def server():
    if shutil.which("dot") is None:
        pytest.skip("Graphviz dot not installed")
    process, url = start_server()
    yield url
    stop_server(process)


def get(url, data=None, method=None, headers=None):
    """(status, headers, body bytes) of one request."""
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def post_json(url, body):
    return get(url, json.dumps(body).encode(), "POST", {"content-type": "application/json"})


# Over HTTP.

def test_the_api_gives_cs231n_numbers(server):
    status, headers, body = get(server + "/api/circuit?expr=(x%2By)*z&x=-2&y=5&z=-4")
    answer = json.loads(body)
    assert status == 200
    assert answer["output"]["value"] == -12
    assert {v["name"]: v["grad"] for v in answer["variables"]} == {"x": -4, "y": -4, "z": 3}


def test_pages_forbid_loading_from_elsewhere(server):
    for path in ("/", "/playground"):
        status, headers, body = get(server + path)
        assert status == 200
        assert "default-src 'self'" in headers["content-security-policy"]
        assert b"http://" not in body and b"https://" not in body


def test_the_static_files_name_no_other_host():
    for path in STATIC.iterdir():
        text = path.read_text(encoding="utf-8")
        urls = set(re.findall(r"https?://[^\s\"')]+", text))
        assert urls <= {"http://www.w3.org/2000/svg"}, (path.name, urls)


def test_a_hostile_formula_is_a_400_and_runs_nothing(server, tmp_path):
    marker = tmp_path / "ran"
    formula = f"__import__('os').system('touch {marker}')"
    status, _, body = get(server + "/api/circuit?" + urllib.parse.urlencode({"expr": formula}))
    assert status == 400
    message = json.loads(body)["error"]
    assert "__import__" in message and "\n" not in message
    assert not marker.exists()


def test_a_megabyte_query_string_is_refused(server):
    status, _, body = get(server + "/?expr=" + "x%2B" * (1024 * 1024 // 4))
    assert status in (400, 413, 414, 431)


def test_an_oversized_or_malformed_body_is_refused(server):
    status, _, _ = get(server + "/api/train", b"{" * (1024 * 1024), "POST")
    assert status == 413
    status, _, body = get(server + "/api/train", b"{not json", "POST")
    assert status == 400 and "JSON" in json.loads(body)["error"]
    status, _, body = post_json(server + "/api/train", {"points": 10**9})
    assert status == 400 and "points" in json.loads(body)["error"]


def test_downloads(server):
    query = XYZ[2:]
    status, headers, svg = get(server + "/api/circuit.svg?" + query)
    assert status == 200 and b"<svg" in svg and "attachment" in headers["content-disposition"]
    status, headers, png = get(server + "/api/circuit.png?" + query)
    assert status == 200 and png.startswith(b"\x89PNG")
    status, headers, html = get(server + "/api/stepthrough.html?" + query)
    frames = re.search(rb'id="frames-data">(.*?)</script>', html, flags=re.S).group(1)
    assert status == 200 and len(json.loads(frames)["captions"]) == 3 and b"(x+y)*z" in html


def test_fifty_concurrent_page_loads_are_all_served(server):
    paths = [XYZ, SIGMOID, "/playground", "/static/editor.js"] * 10
    paths += [f"/api/circuit?expr=x*y%2Bz&x={i}&y=2&z=3" for i in range(10)]
    with ThreadPoolExecutor(50) as pool:
        results = list(pool.map(lambda path: get(server + path), paths))
    assert [status for status, _, _ in results] == [200] * 50
    answers = [json.loads(body) for _, _, body in results[40:]]
    assert [a["output"]["value"] for a in answers] == [i * 2 + 3 for i in range(10)]


def test_training_streams_while_the_editor_answers(server):
    status, _, body = post_json(server + "/api/train", {"dataset": "spiral", "hidden": [32, 32]})
    key = json.loads(body)["id"]
    events, first, answered = [], threading.Event(), threading.Event()
    after = []  # events that arrived after the editor answered

    def listen():
        with urllib.request.urlopen(f"{server}/api/train/{key}/stream", timeout=120) as stream:
            for line in stream:
                if line.startswith(b"data: "):
                    events.append(json.loads(line[6:]))
                    first.set()
                    if answered.is_set():
                        after.append(events[-1])
                if len(after) == 2:
                    return

    listener = threading.Thread(target=listen)
    listener.start()
    assert first.wait(120)
    status, _, body = get(server + "/api/circuit?expr=tanh(a*b)&a=0.5&b=2")
    answered.set()
    listener.join(120)
    assert status == 200 and json.loads(body)["output"]["text"] == "0.7616"
    steps = [event["step"] for event in events]
    assert len(after) == 2 and steps == sorted(steps) and steps[-1] > steps[0]


def test_slow_motion_streams_one_step_per_event(server):
    _, _, body = post_json(server + "/api/train", {"points": 40, "hidden": [3]})
    key = json.loads(body)["id"]
    steps = []
    with urllib.request.urlopen(f"{server}/api/train/{key}/stream?steps=1", timeout=120) as s:
        for line in s:
            if line.startswith(b"data: "):
                steps.append(json.loads(line[6:])["step"])
            if len(steps) == 3:
                break
    assert steps == [1, 2, 3]
    for bad in ("0", "101", "x"):
        status, _, body = get(f"{server}/api/train/{key}/stream?steps={bad}")
        assert status == 400 and "steps" in json.loads(body)["error"]


def test_a_step_and_a_neuron(server):
    _, _, body = post_json(server + "/api/train", {"points": 40, "hidden": [3]})
    key = json.loads(body)["id"]
    status, _, body = get(f"{server}/api/train/{key}/step", b"", "POST")
    assert status == 200 and json.loads(body)["step"] == 1
    status, _, body = get(f"{server}/api/train/{key}/neuron?layer=0&unit=2&example=5")
    answer = json.loads(body)
    assert status == 200 and "<svg" in answer["svg"] and "example 6" in answer["title"]
    status, _, _ = get(f"{server}/api/train/{key}/neuron?layer=9&unit=0&example=0")
    assert status == 400
    status, _, _ = get(f"{server}/api/train/nonsense/step", b"", "POST")
    assert status == 404


@pytest.mark.slow
def test_sigint_during_training_leaves_no_process():
    process, url = start_server()
    _, _, body = post_json(url + "/api/train", {"hidden": [32, 32, 32]})
    key = json.loads(body)["id"]
    stream = urllib.request.urlopen(f"{url}/api/train/{key}/stream", timeout=120)
    stream.readline()
    children = _children(process.pid)
    stop_server(process)
    stream.close()
    assert all(not Path(f"/proc/{pid}").exists() or _zombie(pid) for pid in children)


def _children(pid):
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _zombie(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


# In the browser.

@pytest.fixture(scope="module")
def browser():
    executable = "/usr/bin/chromium"
    if not Path(executable).exists():
        pytest.skip("no Chromium installed (/usr/bin/chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def tab(browser, server):
    # bypass_csp: Playwright's wait_for_function evaluates strings, which the pages' policy
    # (rightly) forbids; the policy itself is checked over HTTP above.
    context = browser.new_context(viewport={"width": 1366, "height": 768}, bypass_csp=True)
    page = context.new_page()
    requests, errors = [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors
    assert all(url.startswith(server) or url.startswith("data:") for url in requests), requests


def numbers(page):
    page.wait_for_selector("body[data-state=ready]")
    table = {row.query_selector_all("td")[0].inner_text():
             row.query_selector_all("td")[1].inner_text()
             for row in page.query_selector_all("#results tr")}
    return {name: float(text) for name, text in table.items()}


def diagram_texts(page):
    return page.eval_on_selector_all("#diagram svg text", "els => els.map(e => e.textContent)")


def red_texts(page):
    """The gradients drawn (red text) in the diagram shown."""
    return page.eval_on_selector_all(
        "#diagram svg text", "els => els.filter(e => e.getAttribute('fill') === '#d62728')"
        ".map(e => e.textContent)")


@pytest.mark.browser
def test_the_xyz_link_shows_cs231n_numbers(tab, server):
    tab.goto(server + XYZ)
    assert numbers(tab) == {"output": -12, "x.grad": -4, "y.grad": -4, "z.grad": 3}
    texts = diagram_texts(tab)
    assert {"-12", "-4", "3", "local -4", "local 3"} <= set(texts)
    assert tab.input_value("#formula") == "(x+y)*z"
    assert tab.input_value("#var-x") == "-2"


@pytest.mark.browser
def test_the_sigmoid_link_shows_cs231n_numbers(tab, server):
    tab.goto(server + SIGMOID)
    found = {name: round(value, 2) for name, value in numbers(tab).items()}
    assert found == {"output": 0.73, "w0.grad": -0.2, "x0.grad": 0.39, "w1.grad": -0.39,
                     "x1.grad": -0.59, "w2.grad": 0.2}
    assert {"-0.1966", "0.3932", "-0.5898"} <= set(diagram_texts(tab))


@pytest.mark.browser
def test_typing_redraws_and_updates_the_url(tab, server):
    tab.goto(server + XYZ)
    numbers(tab)
    tab.fill("#formula", "x*y + tanh(z)")
    tab.wait_for_function("document.body.dataset.drawn === 'x*y + tanh(z)'")
    assert "tanh" in diagram_texts(tab)
    assert numbers(tab)["z.grad"] == pytest.approx(1 - 0.99933 ** 2, abs=1e-4)
    tab.fill("#var-y", "7")
    tab.wait_for_function("document.getElementById('grad-x').textContent === '7'")
    assert "y=7" in tab.url and "expr=x*y+%2B+tanh%28z%29" in tab.url


@pytest.mark.browser
def test_stepping_with_the_keyboard(tab, server):
    tab.goto(server + XYZ)
    numbers(tab)
    assert tab.inner_text("#counter") == "step 2 / 2"
    tab.click("#caption")  # focus leaves the fields
    tab.keyboard.press("Home")
    assert tab.inner_text("#counter") == "step 0 / 2"
    assert tab.inner_text("#caption").startswith("forward pass")
    assert red_texts(tab) == []  # no gradient yet
    tab.keyboard.press("ArrowRight")
    assert tab.inner_text("#counter") == "step 1 / 2"
    assert tab.inner_text("#caption").startswith("step 1/2")
    tab.keyboard.press("ArrowRight")
    assert tab.inner_text("#caption").startswith("step 2/2")
    assert sorted(red_texts(tab)) == ["-4", "-4", "-4", "1", "3"]  # x, y, x+y; z; f
    tab.keyboard.press("ArrowLeft")
    assert tab.inner_text("#counter") == "step 1 / 2"


@pytest.mark.browser
def test_a_hostile_formula_shows_an_error_in_one_line(tab, server, tmp_path):
    marker = tmp_path / "ran"
    tab.goto(server + XYZ)
    numbers(tab)
    tab.fill("#formula", f"__import__('os').system('touch {marker}')")
    tab.wait_for_function("document.body.dataset.state === 'error'")
    message = tab.inner_text("#error")
    assert "__import__" in message and "\n" not in message
    assert tab.get_attribute("#diagram", "class") == "stale"
    assert not marker.exists()


@pytest.mark.browser
@pytest.mark.slow
def test_the_playground_learns_moons(tab, server):
    tab.goto(server + "/playground")
    tab.wait_for_selector("#net .node")
    first_loss = float(tab.inner_text("#pg-loss"))
    tab.click("#start")
    tab.wait_for_function("document.body.dataset.accuracy === '1'", timeout=120_000)
    tab.click("#pause")
    assert tab.inner_text("#pg-acc") == "100.0%"
    assert float(tab.inner_text("#pg-loss")) < first_loss / 2
    assert "step" in tab.inner_text("#pg-reached")
    tab.click("#net .node[data-layer='1'][data-unit='0']")
    tab.wait_for_function("document.body.dataset.neuron !== undefined")
    assert "hidden layer 2, neuron 1" in tab.inner_text("#neuron-title")
    assert tab.eval_on_selector_all("#neuron svg text", "els => els.some(e => "
                                    "e.textContent.startsWith('local'))")
