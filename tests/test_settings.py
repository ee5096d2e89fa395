"""Settings: the embedded default, the production hardening and `check --deploy`."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

# Each test starts its own process with the environment it names: the same on either run.
pytestmark = pytest.mark.once

ROOT = Path(__file__).resolve().parent.parent
STRONG_KEY = "k3y-" + "x9Q2vL7pR4tY8wZ1aB6cD0eF5gH3jK7mN2qS4uV8yX1zA5bC9dE3fG7hJ2kL6"


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _production(**extra: str) -> dict[str, str]:
    return {
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": STRONG_KEY,
        "DJANGO_ALLOWED_HOSTS": "blog.example.com",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/inkwell",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "METRICS_TOKEN": "scrape-token-for-tests",
        **extra,
    }


def test_settings_import_with_an_empty_environment():
    result = _run(["-c", "import project.settings as s; print(s.DATABASES['default']['ENGINE'])"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.sqlite3"


@pytest.mark.slow
def test_check_deploy_is_clean_with_production_settings():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **_production())
    assert result.returncode == 0, result.stdout + result.stderr
    # The one silenced: cachalot.W001, which knows backends by name only (project/settings/data.py).
    assert "System check identified no issues (1 silenced)." in result.stdout


@pytest.mark.slow
def test_check_deploy_warns_when_production_has_no_metrics_token():
    env = _production()
    del env["METRICS_TOKEN"]
    result = _run(["manage.py", "check", "--deploy"], **env)
    assert "inkwell.W003" in result.stdout + result.stderr


@pytest.mark.slow
def test_check_deploy_flags_the_embedded_secret_key():
    env = _production(DJANGO_ENV="development", DJANGO_DEBUG="false")
    env["DJANGO_SECRET_KEY"] = "inkwell-embedded-development-key-not-for-production-use-0123456789"
    result = _run(["manage.py", "check", "--deploy"], **env)
    assert "inkwell.E001" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"DJANGO_SECRET_KEY": ""}, "DJANGO_SECRET_KEY is not set"),
        ({"DJANGO_SECRET_KEY": "short"}, "DJANGO_SECRET_KEY is too weak"),
        ({"DJANGO_SECRET_KEY": "django-insecure-" + "a1b2c3d4" * 8}, "django-insecure"),
        ({"DJANGO_ALLOWED_HOSTS": ""}, "DJANGO_ALLOWED_HOSTS is empty"),
        ({"DJANGO_DEBUG": "true"}, "DJANGO_DEBUG is on with DJANGO_ENV=production"),
        ({"DJANGO_DEBUG": "1"}, "DJANGO_DEBUG is on with DJANGO_ENV=production"),
    ],
)
def test_production_refuses_to_start_with_a_bad_configuration(override, message):
    result = _run(["-c", "import project.settings"], **_production(**override))
    assert result.returncode != 0
    assert message in result.stderr


def test_production_switches_every_backend_from_the_environment():
    code = (
        "import project.settings as s;"
        "print(s.DATABASES['default']['ENGINE'], 'pool' in s.DATABASES['default']['OPTIONS'],"
        " s.CACHES['default']['BACKEND'], s.CHANNEL_LAYERS['default']['BACKEND'],"
        " s.TASKS['default']['BACKEND'], s.DEBUG, s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)"
    )
    result = _run(["-c", code], **_production())
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "True",
        "apps.core.cache.ResilientRedisCache",
        "apps.core.channel_layers.RedisChannelLayer",
        "django_tasks_db.DatabaseBackend",
        "False",
        "True",
        "31536000",
    ]


def test_debug_stays_allowed_outside_production():
    result = _run(["-c", "import project.settings as s; print(s.DEBUG)"], DJANGO_DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_production_accepts_debug_switched_off_explicitly():
    result = _run(["-c", "import project.settings"], **_production(DJANGO_DEBUG="false"))
    assert result.returncode == 0, result.stderr


def test_channel_layer_backend_selects_the_pub_sub_layer_with_its_own_prefix():
    code = (
        "import project.settings as s; c = s.CHANNEL_LAYERS['default'];"
        "print(c['BACKEND'], c['CONFIG']['prefix'], c['CONFIG']['hosts'][0]['max_connections'])"
    )
    env = _production(
        CHANNEL_LAYER_BACKEND="pubsub",
        CHANNEL_LAYER_URL="redis://127.0.0.1:6379/3",
        CACHE_KEY_PREFIX="site",
    )
    result = _run(["-c", code], **env)
    assert result.returncode == 0, result.stderr
    # Pub/sub channels are server-wide: the database number keeps two sites apart.
    assert result.stdout.split() == [
        "channels_redis.pubsub.RedisPubSubChannelLayer",
        "site:asgi:db3",
        "50",
    ]


def test_an_unknown_channel_layer_backend_is_refused():
    result = _run(["-c", "import project.settings"], **_production(CHANNEL_LAYER_BACKEND="kafka"))
    assert result.returncode != 0
    assert "CHANNEL_LAYER_BACKEND must be one of core, pubsub" in result.stderr


def test_embedded_default_uses_in_process_backends():
    code = (
        "import project.settings as s;"
        "print(s.CACHES['default']['BACKEND'], s.CHANNEL_LAYERS['default']['BACKEND'],"
        " s.TASKS['default']['BACKEND'], s.EMAIL_BACKEND)"
    )
    result = _run(["-c", code])
    assert result.stdout.split() == [
        "apps.core.cache.CountedLocMemCache",
        "channels.layers.InMemoryChannelLayer",
        "django_tasks.backends.immediate.ImmediateBackend",
        "django.core.mail.backends.console.EmailBackend",
    ]


def test_check_deploy_warns_about_a_plain_redis_cache(settings):
    from apps.core.checks import check_resilient_cache

    assert check_resilient_cache(None) == []
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/0",
        }
    }
    assert [w.id for w in check_resilient_cache(None)] == ["inkwell.W004"]


_STATIC = (
    "import project.settings as s; "
    "print(s.DEBUG, s.STORAGES['staticfiles']['BACKEND'], s.WHITENOISE_USE_FINDERS)"
)


def test_make_run_serves_collected_compressed_static_files_without_debug():
    # What the Makefile's VISITOR_ENV sets for `make run`, with the embedded defaults.
    result = _run(["-c", _STATIC], DJANGO_DEBUG="false", DJANGO_STATIC_COLLECTED="true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "False",
    ]


def test_development_serves_static_files_from_the_source():
    result = _run(["-c", _STATIC])
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "django.contrib.staticfiles.storage.StaticFilesStorage",
        "True",
    ]


def test_the_makefile_runs_the_product_without_debug_and_develops_with_it():
    makefile = (ROOT / "Makefile").read_text()
    assert "VISITOR_ENV := DJANGO_DEBUG=false DJANGO_STATIC_COLLECTED=true" in makefile
    assert "run: setup static\n\t@$(VISITOR_ENV) $(MAKE) --no-print-directory serve" in makefile
    assert "dev: setup\n\tDJANGO_DEBUG=true" in makefile
    assert "--reload" in makefile


@pytest.mark.parametrize(
    ("languages", "message"),
    [
        ("en,klingon", "'klingon' is not a language code Django knows"),
        ("en,de,en", "names a language twice"),
    ],
)
def test_bad_site_languages_stop_the_server_with_a_message(languages, message):
    result = _run(["-c", "import project.settings"], SITE_LANGUAGES=languages)
    assert result.returncode != 0
    assert message in result.stderr


def test_a_site_in_one_language_has_no_switcher_prefixes_or_alternates():
    script = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'project.settings');"
        "django.setup(); from django.test.utils import setup_test_environment;"
        "setup_test_environment(); from django.test import Client; from django.urls import reverse;"
        "from django.db import connection; from django.core.management import call_command;"
        "call_command('migrate', verbosity=0, interactive=False);"
        "html = Client().get('/').content.decode();"
        "print(reverse('blog:home'), 'data-language-switcher' in html, 'hreflang' in html)"
    )
    result = _run(["-c", script], SITE_LANGUAGES="en", DATABASE_URL="sqlite:///:memory:")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["/", "False", "False"]
