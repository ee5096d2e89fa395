"""infrastructure/compose/compose.yaml is the single-host stack docs/deployment.md describes.

infra-check validates the file against the Compose specification; these tests read it
(YAML anchors and merge keys resolved, as Compose does) for what a schema cannot see.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "infrastructure" / "compose" / "compose.yaml"
APP_SERVICES = ("migrate", "static", "web", "ws", "worker")
ONE_SHOTS = ("migrate", "static")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def test_the_stack_has_every_part(services: dict[str, dict[str, Any]]) -> None:
    assert {"nginx", "web", "ws", "worker", "migrate", "postgres", "redis", "pgbouncer"} <= set(
        services
    )


def test_profiles_choose_what_faces_the_browser(services: dict[str, dict[str, Any]]) -> None:
    profiles = {name: tuple(s.get("profiles", ())) for name, s in services.items()}
    assert profiles["nginx"] == ("prod",)
    assert {n for n, p in profiles.items() if p == ("dev",)} == {"proxy-dev", "mailpit"}
    # Everything else runs in both.
    assert all(p == () for n, p in profiles.items() if n not in ("nginx", "proxy-dev", "mailpit"))


def test_every_long_running_service_has_a_health_check(
    services: dict[str, dict[str, Any]],
) -> None:
    for name, service in services.items():
        if name in ONE_SHOTS:
            assert service["restart"] == "no", name
            continue
        assert "healthcheck" in service, f"{name} has no health check"
        assert service["healthcheck"]["test"][0] == "CMD", name


def test_apps_wait_for_a_migrated_database_and_healthy_services(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in ("web", "ws", "worker"):
        needs = services[name]["depends_on"]
        assert needs["migrate"]["condition"] == "service_completed_successfully", name
        assert needs["pgbouncer"]["condition"] == "service_healthy", name
        assert needs["redis"]["condition"] == "service_healthy", name
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for proxy in ("nginx", "proxy-dev"):
        assert services[proxy]["depends_on"]["web"]["condition"] == "service_healthy"
        assert services[proxy]["depends_on"]["ws"]["condition"] == "service_healthy"


def test_apps_reach_postgresql_through_pgbouncer_in_transaction_mode_except_migrate(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in ("web", "ws", "worker"):
        assert "@pgbouncer:5432/" in services[name]["environment"]["DATABASE_URL"], name
    assert "@postgres:5432/" in services["migrate"]["environment"]["DATABASE_URL"]
    assert services["pgbouncer"]["environment"]["POOL_MODE"] == "transaction"


def test_the_app_containers_are_hardened_like_the_pods(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in APP_SERVICES:
        service = services[name]
        assert service["read_only"] is True, name
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name
        assert "/tmp" in service["tmpfs"], name
        assert service["build"]["dockerfile"] == "infrastructure/docker/Dockerfile"
    # Only the copy job runs as root (to write into the shared volume); the rest keep the
    # image's user 10001.
    assert [n for n in APP_SERVICES if "user" in services[n]] == ["static"]


def test_state_lives_in_named_volumes(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    named = set(compose["volumes"])
    assert {"pgdata", "media", "static"} <= named
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith((".", "/", "$")):
                assert name == "nginx", f"{name} mounts a host path: {volume}"
            else:
                assert source in named, f"{name}: {source} is not a named volume"
    assert "pgdata:/var/lib/postgresql/data" in services["postgres"]["volumes"]


def test_nginx_runs_the_production_site_file_pointed_at_the_services(
    services: dict[str, dict[str, Any]],
) -> None:
    nginx = services["nginx"]
    assert "../nginx/inkwell.conf:/etc/inkwell/inkwell.conf:ro" in nginx["volumes"]
    script = nginx["command"][-1]
    site = (REPO / "infrastructure" / "nginx" / "inkwell.conf").read_text()
    # The rewrite only works while the file still names these upstream addresses.
    for address, service in (("127.0.0.1:8001", "web:8000"), ("127.0.0.1:8002", "ws:8000")):
        assert f"server {address};" in site
        assert f"s/{address}/{service}/" in script
    assert "ssl_certificate     /etc/ssl/inkwell/fullchain.pem;" in site
    assert any(v.endswith(":/etc/ssl/inkwell:ro") for v in nginx["volumes"])


def test_the_env_example_names_every_required_variable() -> None:
    example = (COMPOSE.parent / ".env.example").read_text()
    text = COMPOSE.read_text()
    for variable in ("POSTGRES_PASSWORD", "DJANGO_ALLOWED_HOSTS", "INKWELL_HOST"):
        assert f"${{{variable}:?" in text
        assert f"\n{variable}=" in example
    assert "\nDJANGO_SECRET_KEY=" in example
