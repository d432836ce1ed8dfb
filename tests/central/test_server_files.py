"""The files that run the server (issue 17): compose.yaml, the Dockerfile and the systemd unit
are read and checked against the program itself: the services, their order and health checks,
and every command they run parsed by the real `ohjaus` parser and found in its --help. Docker
is not on these machines; scripts/server_start_check.sh runs the same start-up without it."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

from ohjaus.cli import build_parser  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def _help(*words: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "ohjaus", "--lang", "en", *words, "--help"],
        capture_output=True, text=True, cwd=ROOT, check=True,
    )
    return result.stdout


def _real_command(words: list[str]) -> None:
    """The command parses with ohjaus's parser, and each of its options is in its --help."""
    args = build_parser().parse_args(words)
    assert args.command == words[0]
    subcommand = [w for w in words[:2] if not w.startswith("-")]
    shown = _help(*subcommand)
    for option in (w for w in words if w.startswith("--")):
        assert option in shown, f"{option} not in `ohjaus {' '.join(subcommand)} --help`"


def test_compose_starts_postgres_then_the_upgrade_then_the_server():
    compose = _compose()
    services = compose["services"]
    assert set(services) == {"db", "migrate", "serve"}

    db = services["db"]
    assert db["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    volume = db["volumes"][0].split(":")
    assert volume[1] == "/var/lib/postgresql/data" and volume[0] in compose["volumes"]

    migrate, serve = services["migrate"], services["serve"]
    assert migrate["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert migrate["restart"] == "no"
    assert serve["depends_on"] == {
        "db": {"condition": "service_healthy"}, "migrate": {"condition": "service_completed_successfully"},
    }
    for service in (migrate, serve):  # one image, built from the Dockerfile
        assert service["build"] == "." and service["image"] == migrate["image"]


def test_compose_commands_are_the_programs_own():
    services = _compose()["services"]
    assert services["migrate"]["command"] == ["db", "upgrade"]
    _real_command(services["migrate"]["command"])
    serve = services["serve"]["command"]
    assert serve[0] == "serve" and "--demo" not in serve and "--upgrade" not in serve
    _real_command(serve)
    args = build_parser().parse_args(serve)
    # The health check asks the route the server has, on the port it listens on, which is
    # published on the host's loopback only (a reverse proxy ends TLS).
    check = " ".join(services["serve"]["healthcheck"]["test"])
    assert f"http://127.0.0.1:{args.port}/v1/health" in check
    assert services["serve"]["ports"] == [f"127.0.0.1:{args.port}:{args.port}"]
    from ohjaus_central import app as central_app

    assert '@app.get("/v1/health")' in Path(central_app.__file__).read_text()


def test_compose_names_the_database_once_for_postgres_and_ohjaus(monkeypatch):
    compose = _compose()
    services = compose["services"]
    url = services["serve"]["environment"]["OHJAUS_DB"]
    assert services["migrate"]["environment"]["OHJAUS_DB"] == url
    match = re.fullmatch(r"postgresql://(\w+):\$\{(\w+)[^}]*\}@(\w+):5432/(\w+)", url)
    assert match, url
    user, password_var, host, name = match.groups()
    db = services["db"]["environment"]
    assert (db["POSTGRES_USER"], db["POSTGRES_DB"], host) == (user, name, "db")
    assert password_var in db["POSTGRES_PASSWORD"]
    # ohjaus takes the database from OHJAUS_DB when --db is not given.
    from ohjaus_central.serve import default_db_url

    monkeypatch.setenv("OHJAUS_DB", "postgresql://u:p@db:5432/ohjaus")
    assert default_db_url() == "postgresql://u:p@db:5432/ohjaus"


def test_the_dockerfile_installs_the_wheel_with_the_server_packages():
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.M)
    assert "pip wheel" in text and '.whl)[server]"' in text
    for copied in re.findall(r"^COPY (?!--from)(.+) \S+$", text, re.M):
        for path in copied.split():
            assert (ROOT / path).exists(), path
    assert 'ENTRYPOINT ["ohjaus"]' in text
    command = re.search(r"^CMD (\[.*\])$", text, re.M).group(1)
    _real_command(yaml.safe_load(command))


def test_the_systemd_unit_runs_the_programs_own_command():
    unit = (ROOT / "docs" / "ohjaus-serve.service").read_text()
    start = re.search(r"^ExecStart=(.+)$", unit, re.M).group(1)
    words = shlex.split(start)
    assert words[0].endswith("/bin/ohjaus")
    _real_command(words[1:])
    assert "--host 127.0.0.1" in start
    assert re.search(r"^EnvironmentFile=", unit, re.M)  # OHJAUS_DB with its password, not in the unit
