"""The deployment files in infra/ are valid and wire the health checks.

`docker compose config` needs the Compose plugin; where it is missing, the compose file is
validated against the Compose specification's JSON schema (shipped with check-jsonschema).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

INFRA = Path(__file__).resolve().parents[1] / "infra"
COMPOSE = INFRA / "compose.yaml"
UNITS = INFRA / "systemd"


def compose() -> dict:  # type: ignore[type-arg]
    loaded = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_the_compose_file_follows_the_compose_specification() -> None:
    checker = Path(sys.executable).with_name("check-jsonschema")
    done = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_docker_compose_accepts_the_compose_file() -> None:
    docker = shutil.which("docker")
    if (
        docker is None
        or subprocess.run([docker, "compose", "version"], capture_output=True).returncode
    ):
        pytest.skip("the docker compose plugin is not installed here (the schema test stands in)")
    done = subprocess.run(
        [docker, "compose", "-f", str(COMPOSE), "config", "--quiet"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_the_stack_migrates_once_before_web_and_workers_start() -> None:
    services = compose()["services"]
    assert {"postgres", "redis", "migrate", "web", "worker"} <= set(services)
    assert services["migrate"]["command"] == ["petition", "migrate"]
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker"):
        after = services[name]["depends_on"]
        assert after["migrate"]["condition"] == "service_completed_successfully"
        assert after["redis"]["condition"] == "service_healthy"
    assert "gunicorn" in services["web"]["command"]
    assert services["web"]["environment"]["PROMETHEUS_MULTIPROC_DIR"]
    assert str(services["worker"]["deploy"]["replicas"]).startswith("${WORKERS")
    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])
    assert "/healthz" in " ".join(services["worker"]["healthcheck"]["test"])


def test_the_systemd_units_verify_and_check_health(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here")
    venv = Path(sys.executable).parent.parent
    for unit in UNITS.iterdir():
        # Point the units at this checkout's programs, which is all that differs from a host.
        text = unit.read_text().replace("/opt/petition/.venv", str(venv))
        (tmp_path / unit.name).write_text(text)
    names = [
        "petition-web.service",
        "petition-web-health.service",
        "petition-web-health.timer",
        "petition-worker@1.service",
        "petition-worker-health@1.service",
        "petition-worker-health@1.timer",
    ]
    done = subprocess.run(
        [analyze, "verify", "--man=no", *names], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    web, worker = (
        (UNITS / "petition-web.service").read_text(),
        (UNITS / "petition-worker@.service").read_text(),
    )
    assert "ExecStartPost=" in web and "8000/readyz" in web
    assert "ExecStartPost=" in worker and "910%i/readyz" in worker
    assert "8000/healthz" in (UNITS / "petition-web-health.service").read_text()
    assert "910%i/healthz" in (UNITS / "petition-worker-health@.service").read_text()
