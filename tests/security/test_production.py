"""Production mode: settings from the environment, `check --deploy` clean, gunicorn + whitenoise, headers."""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HEALTHLINKS_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="healthlinks.settings",
        HEALTHLINKS_PRODUCTION="1",
        HEALTHLINKS_SECRET_KEY=secrets.token_urlsafe(50),
        HEALTHLINKS_ALLOWED_HOSTS="healthlinks.example.org,127.0.0.1",
        HEALTHLINKS_VAR_DIR=str(tmp_path),
        HEALTHLINKS_DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
    )
    env.update(extra)
    return env


def _run(args: list[str], env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT, check=False)


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    out = _run([sys.executable, "-m", "django", "check", "--deploy"], _env(tmp_path))
    text = out.stdout + out.stderr
    assert out.returncode == 0, text
    ids = re.findall(r"\(([\w.]+\.[EW]\d+)\)", text)
    # Every Django deployment and security check passes. Schema-generator warnings (drf_spectacular.*) belong to
    # the API's own schema tests, not to deployment.
    assert [i for i in ids if not i.startswith("drf_spectacular.")] == [], text


def test_check_deploy_flags_an_insecure_configuration(tmp_path):
    """The check above can fail: a short key and no HTTPS redirect are reported."""
    env = _env(tmp_path, HEALTHLINKS_SECRET_KEY="short", HEALTHLINKS_SSL_REDIRECT="0")
    text = _run([sys.executable, "-m", "django", "check", "--deploy"], env).stderr
    assert "security.W008" in text and "security.W009" in text


def test_production_refuses_to_start_without_a_secret_key_or_with_debug(tmp_path):
    env = _env(tmp_path)
    del env["HEALTHLINKS_SECRET_KEY"]
    out = _run([str(BIN / "healthlinks"), "serve", "--production"], env)
    assert out.returncode != 0 and "HEALTHLINKS_SECRET_KEY must be set" in out.stderr
    out = _run([str(BIN / "healthlinks"), "serve", "--production"], _env(tmp_path, HEALTHLINKS_DEBUG="1"))
    assert out.returncode != 0 and "HEALTHLINKS_DEBUG must be off" in out.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def _get(url: str, **headers: str):  # type: ignore[no-untyped-def]
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, headers={"Host": "127.0.0.1", **headers})  # noqa: S310
    try:
        return opener.open(request, timeout=90)  # the first request waits for a worker to boot
    except urllib.error.HTTPError as exc:
        return exc


def test_serve_production_runs_gunicorn_with_whitenoise_and_security_headers(tmp_path):
    env = _env(tmp_path, HEALTHLINKS_WORKERS="2")
    migrated = _run([str(BIN / "healthlinks"), "migrate"], env, timeout=300)
    assert migrated.returncode == 0, migrated.stderr
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(  # noqa: S603
        [str(BIN / "healthlinks"), "serve", "--production", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # collectstatic and first boot; slow on a busy 2-core machine
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, (tmp_path / "server.log").read_text()
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.3)
        plain = _get(base + "/")
        assert plain.status == 301 and plain.headers["Location"].startswith("https://")  # HTTPS redirect
        page = _get(base + "/accounts/login/", **{"X-Forwarded-Proto": "https"})
        assert page.status == 200
        h = page.headers
        assert "script-src 'self'" in h["Content-Security-Policy"]
        assert "unsafe-inline" not in h["Content-Security-Policy"] and "unsafe-eval" not in h["Content-Security-Policy"]
        assert h["Strict-Transport-Security"].startswith("max-age=31536000")
        assert h["X-Frame-Options"] == "DENY" and h["X-Content-Type-Options"] == "nosniff"
        assert h["Referrer-Policy"] == "same-origin"
        cookies = h.get_all("Set-Cookie") or []
        assert cookies and all("Secure" in c for c in cookies), cookies
        body = page.read().decode()
        static = re.search(r'href="(/static/healthlinks/app\.[0-9a-f]{12}\.css)"', body)
        assert static, "static files are not served under hashed names"
        css = _get(base + static.group(1), **{"X-Forwarded-Proto": "https", "Accept-Encoding": "gzip"})
        assert css.status == 200 and "immutable" in css.headers["Cache-Control"]
        assert (tmp_path / "static" / "healthlinks" / "app.css").exists()  # collectstatic into var/static
        # scripts are served compressed; source maps (for developer tools only) as they are
        static_files = list((tmp_path / "static").rglob("*"))
        assert any(p.name.endswith(".js.gz") for p in static_files)
        assert any(p.name.endswith(".map") for p in static_files)
        assert not [p for p in static_files if p.name.endswith((".map.gz", ".map.br"))]
        workers = subprocess.run(["pgrep", "-g", str(server.pid)], capture_output=True, text=True, check=False)
        assert len(workers.stdout.split()) >= 3, "expected a gunicorn master and 2 workers"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
