"""What `make run` does, end to end: migrate, load the demo, serve, and answer over HTTP."""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

CONSULTA = Path(sys.executable).with_name("consulta")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CONSULTA), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def served(tmp_path, database_url):
    if not CONSULTA.exists():
        pytest.skip(f"{CONSULTA} is not installed; run `make test`")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONSULTA_")}
    env["CONSULTA_DATABASE_URL"] = database_url
    env["CONSULTA_LOG_FORMAT"] = "json"
    for step in (["config", "init"], ["db", "upgrade"], ["demo", "load"]):
        done = _run(step, env, tmp_path)
        assert done.returncode == 0, done.stderr
    assert (tmp_path / ".env").read_text().count("=") == 2
    port = _free_port()
    server = subprocess.Popen(
        [str(CONSULTA), "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(line) for line in server.stderr], daemon=True
    ).start()
    seen = []
    try:
        while True:
            line = lines.get(timeout=60)
            seen.append(line)
            if "Application startup complete" in line:
                break
        yield f"http://127.0.0.1:{port}", env, seen, lines
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_demo_is_served(served, tmp_path):
    base, env, _, lines = served
    assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{base}/readyz").status_code == 200
    token = _run(
        ["tokens", "create", "--role", "organiser", "--participant", "1"], env, tmp_path
    ).stdout.strip()
    response = httpx.get(
        f"{base}/api/v1/recommendations",
        params={"theme": "birth"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    assert response.json()["total"] > 0
    # The JSON access line names the request but never the token.
    access = []
    while not access:
        entry = json.loads(lines.get(timeout=30))
        if entry["logger"] == "consulta.http" and "recommendations" in entry["message"]:
            access.append(entry)
    assert access[0]["request_id"] != "-" and token not in json.dumps(access)


def test_loading_the_demo_twice_changes_nothing(served, tmp_path):
    _, env, _, _ = served
    again = _run(["demo", "load"], env, tmp_path)
    assert again.returncode == 0 and "already there" in again.stderr
    assert "Demo recommendations: 0 added" in again.stderr
