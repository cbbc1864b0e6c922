"""docker/: the compose file and the images it builds, checked without Docker (no images
can be pulled here): services, builds, commands against the real CLI, settings against the
real Settings, volumes, and health checks against the real /healthz ports."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from bots.cli import app
from core_agent.config import Settings
from workers.queues import Resource

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
DEFAULTED = re.compile(r"^\$\{(\w+):-([^}]*)\}$")  # "${NAME:-default}"
SERVES = {"bot": "run", "worker": "worker", "worker-gpu": "worker"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DOCKER / "compose.yaml").read_text())
    return loaded


def dockerfile(build: dict[str, Any]) -> Path:
    return (DOCKER / build["context"] / build["dockerfile"]).resolve()


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, rest) of a Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", path.read_text())
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in
            text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def image_env(path: Path) -> dict[str, str]:
    env: dict[str, str] = {}
    for op, rest in instructions(path):
        if op == "ENV":
            env.update(part.split("=", 1) for part in shlex.split(rest))  # type: ignore[misc]
    return env


def test_services_and_their_images(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) >= {"bot", "worker", "worker-gpu", "redis", "postgres", "migrate"}
    cpu = dockerfile(services["bot"]["build"])
    gpu = dockerfile(services["worker-gpu"]["build"])
    assert cpu == dockerfile(services["worker"]["build"]) == DOCKER / "Dockerfile"
    assert gpu == DOCKER / "Dockerfile.gpu"
    assert services["bot"]["image"] == services["worker"]["image"] != services["worker-gpu"][
        "image"]
    assert instructions(cpu)[0][1].startswith("python:3.11")
    assert instructions(gpu)[0][1].startswith("nvidia/cuda:")
    for path in (cpu, gpu):
        for op, rest in instructions(path):
            if op == "COPY":  # everything copied into an image exists
                assert all((ROOT / src).exists() for src in rest.split()[:-1]), rest
        assert instructions(path)[-1] == ("CMD", instructions(path)[-1][1])
        assert ("ENTRYPOINT", '["audiogpt"]') in instructions(path)
    assert "cu" in next(rest for op, rest in instructions(gpu) if op == "ARG")  # CUDA torch
    gpu_worker = services["worker-gpu"]
    assert gpu_worker["profiles"] == ["gpu"]
    assert gpu_worker["deploy"]["resources"]["reservations"]["devices"][0]["capabilities"] == [
        "gpu"]


def test_each_command_is_one_the_cli_accepts(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        if "command" not in service or name in ("redis",):
            continue
        args = list(service["command"])
        command: Any = typer.main.get_command(app)
        while hasattr(command, "commands"):  # "db upgrade": a group, then its command
            command = command.commands[args.pop(0)]
        command.make_context(name, args)  # unknown options or values raise here
        if name in SERVES:
            assert service["command"][0] == SERVES[name]
    assert services["worker"]["command"][-2:] == ["--queue", Resource.CPU.value]
    assert services["worker-gpu"]["command"][-2:] == ["--queue", Resource.GPU.value]


def settings_of(service: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
                image: dict[str, str]) -> Settings:
    """The Settings the service's process would read (defaults of ${X:-d} filled in)."""
    for key in list(os.environ):
        if key.startswith("AUDIOGPT_"):
            monkeypatch.delenv(key)
    env = {**image, **service["environment"]}
    for key, value in env.items():
        if m := DEFAULTED.match(str(value)):
            value = m.group(2)
        if key.startswith("AUDIOGPT_"):
            field = key.removeprefix("AUDIOGPT_").lower()
            assert field in Settings.model_fields, f"{key} is not a setting"
            monkeypatch.setenv(key, str(value))
    return Settings(_env_file=None)  # type: ignore[call-arg]


def test_settings_volumes_and_health_checks(compose: dict[str, Any],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    services, volumes = compose["services"], compose["volumes"]
    for name in SERVES:
        service = services[name]
        image = image_env(dockerfile(service["build"]))
        settings = settings_of(service, monkeypatch, image)
        assert settings.redis_url == "redis://redis:6379/0"
        assert settings.database_url and "@postgres:5432/" in settings.database_url
        assert settings.models_dir == Path("/models") and settings.data_dir == Path("/data")
        mounts = dict(v.split(":")[::-1] for v in service["volumes"])
        assert mounts["/data"] in volumes and mounts["/models"] in volumes
        assert mounts["/data"] == "media" and mounts["/models"] == "models"  # shared by all
        port = settings.web_port if name == "bot" else settings.worker_metrics_port
        if name != "bot":
            assert settings.worker_metrics_host == "0.0.0.0"
            assert settings.model_memory_mb is not None and settings.model_memory_mb > 0
        probe = " ".join(service["healthcheck"]["test"])
        assert f"http://127.0.0.1:{port}/healthz" in probe
        assert service["depends_on"]["redis"] == {"condition": "service_healthy"}
        assert service["depends_on"]["postgres"] == {"condition": "service_healthy"}
        assert service["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"}
    assert services["bot"]["environment"]["AUDIOGPT_WEB_HOST"] == "0.0.0.0"
    assert DEFAULTED.match(services["worker"]["deploy"]["replicas"])  # N workers, default 2
    for name in ("redis", "postgres"):
        assert services[name]["healthcheck"]["test"]
