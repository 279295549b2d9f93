"""Helpers of the fault tests: real processes (the ``chainmatch`` command, a uvicorn server)
started, loaded and killed, then a fresh start checked for consistent data."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHAINMATCH = str(BIN / "chainmatch")


def env_for(home: Path, url: str | None = None) -> dict[str, str]:
    """The environment of a process of the installation at ``home``."""
    env = dict(os.environ)
    env["CHAINMATCH_HOME"] = str(home)
    env["CHAINMATCH_DATABASE_URL"] = url or f"sqlite:///{home / 'chainmatch.db'}"
    env.pop("CHAINMATCH_LOG_LEVEL", None)
    return env


def run(
    args: list[str], env: dict[str, str], *, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run ``chainmatch ARGS`` to the end."""
    return subprocess.run(
        [CHAINMATCH, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@dataclass
class Killed:
    """What happened to a process killed with SIGKILL."""

    returncode: int
    after_s: float
    trigger: str


def kill_when(
    args: list[str],
    env: dict[str, str],
    ready: Callable[[], bool],
    *,
    timeout: float = 240,
    what: str = "",
) -> Killed:
    """Start ``chainmatch ARGS``; SIGKILL it as soon as ``ready()`` is true (polled)."""
    start = time.monotonic()
    proc = subprocess.Popen(
        [CHAINMATCH, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        while time.monotonic() - start < timeout:
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                pytest.fail(f"{args} ended (rc {proc.returncode}) before {what}: {err[-800:]}")
            if ready():
                proc.send_signal(signal.SIGKILL)
                proc.wait(30)
                return Killed(proc.returncode, time.monotonic() - start, what)
            time.sleep(0.02)
        pytest.fail(f"{args}: {what} did not happen within {timeout} s")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
        if proc.stderr:
            proc.stderr.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def server(env: dict[str, str], *, timeout: float = 120) -> Iterator[str]:
    """A uvicorn process serving the app of ``env``; yields its base URL."""
    port = free_port()
    log = Path(env["CHAINMATCH_HOME"]) / f"server-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(BIN / "python"), "-m", "uvicorn", "api.app:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            start = time.monotonic()
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"server exited: {log.read_text(errors='replace')[-2000:]}")
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                        break
                if time.monotonic() - start > timeout:
                    pytest.fail("server did not answer /health in time")
                time.sleep(0.2)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(20)


def create_key(env: dict[str, str], role: str = "admin") -> str:
    """A key issued by the command line of the installation."""
    got = run(["keys", "create", "--role", role], env)
    assert got.returncode == 0, got.stderr
    return got.stdout.strip().splitlines()[0]


def world_files(db_file: Path) -> Path:
    """The import files the session's small world was built from."""
    files = db_file.parent / "files"
    assert (files / "enterprises.csv").is_file(), files
    return files


@pytest.fixture(scope="session")
def procs() -> object:
    """This module (its helpers), for tests that cannot import a conftest."""
    return sys.modules[__name__]
