"""Browser-test fixtures: a small world served by a real uvicorn process, driven by Chromium.

Once per session: ``chainmatch world --firms 1500 --seed 3`` into a temporary home, migrate
and import it, train and promote a model, issue one key per role, start ``uvicorn`` on a
free 127.0.0.1 port with CHAINMATCH_HOME / CHAINMATCH_DATABASE_URL pointing at the
temporary home, wait for /health, and stop it at the end. Chromium is Debian's
(/usr/bin/chromium), launched headless by Playwright; it is never downloaded.
Screenshots go to var/screenshots/.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHAINMATCH_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "var" / "screenshots"
BENGBU = "340300"
WORLD_FIRMS, WORLD_SEED = 1500, 3


@dataclass
class Server:
    """A running app on a small world."""

    url: str
    home: Path
    world: Path
    env: dict[str, str]
    keys: dict[str, str] = field(default_factory=dict)
    users: dict[str, tuple[str, str]] = field(default_factory=dict)

    def cli(self, *args: str, timeout: float = 600) -> str:
        """Run ``chainmatch ARGS`` against this server's home; its stdout."""
        return _cli(self.env, *args, timeout=timeout)


def _cli(env: dict[str, str], *args: str, timeout: float = 600) -> str:
    cmd = [sys.executable, "-c", "from recommender.cli import main; main()", *args]
    done = subprocess.run(
        cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"chainmatch {' '.join(args)} failed ({done.returncode}):\n"
            f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return done.stdout


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {proc.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app on a 1500-firm world with a production model and a key per role."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (apt-get install chromium)")
    home = tmp_path_factory.mktemp("browser-home")
    world = home / "world"
    url = f"sqlite:///{home / 'chainmatch.db'}"
    env = {
        **os.environ,
        "CHAINMATCH_HOME": str(home),
        "CHAINMATCH_DATABASE_URL": url,
        "PYTHONPATH": str(ROOT),
    }
    _cli(env, "world", "--firms", str(WORLD_FIRMS), "--seed", str(WORLD_SEED), "--out", str(world))
    _cli(env, "db", "upgrade")
    _cli(env, "import-dir", str(world))
    _cli(env, "train", "--promote-if-better", timeout=1200)
    keys = {
        "promotion_office": _cli(
            env,
            "keys",
            "create",
            "--role",
            "promotion_office",
            "--city",
            BENGBU,
            "--label",
            "蚌埠市投资促进局",
        ).strip(),
        "organiser": _cli(env, "keys", "create", "--role", "organiser").strip(),
        "analyst": _cli(env, "keys", "create", "--role", "analyst").strip(),
        "admin": _cli(env, "keys", "create", "--role", "admin").strip(),
    }
    users = {
        "promotion_office": ("bengbu", "bengbu-pass-1"),
        "organiser": ("organiser", "organiser-pass-1"),
        "analyst": ("analyst", "analyst-pass-1"),
        "admin": ("admin", "admin-pass-1"),
    }
    for role, (username, password) in users.items():
        city = (
            ["--city", BENGBU, "--label", "蚌埠市投资促进局"] if role == "promotion_office" else []
        )
        _cli(env, "users", "create", username, "--role", role, "--password", password, *city)
    port = _free_port()
    log = (home / "uvicorn.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{base}/health", proc)
        yield Server(url=base, home=home, world=world, env=env, keys=keys, users=users)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium through Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) sized like a laptop screen."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    context.set_default_timeout(120_000)  # the first ranking builds the feature context
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture(scope="session")
def shots() -> Path:
    """Where screenshots go (created)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def sign_in(server: Server) -> Any:
    """``sign_in(page, role, next_path="/")``: sign in through the form as the role's user."""

    def _sign_in(page: Any, role: str, next_path: str = "/") -> None:
        username, password = server.users[role]
        page.goto(f"{server.url}/login?next={quote(next_path, safe='/')}")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_load_state("domcontentloaded")

    return _sign_in
