"""infrastructure/monitoring: the Grafana dashboards query metrics the app really exports,
and check.sh fails on broken files (promtool's part runs when promtool is installed)."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from apps.core import metrics

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "infrastructure" / "monitoring"
PROMTOOL = shutil.which("promtool")


def _check_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("monitoring_check", MONITORING / "check.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check = _check_module()


def _scraped_names(body: str) -> set[str]:
    names = set()
    for line in body.splitlines():
        if match := re.match(r"# TYPE (\S+) (\S+)", line):
            names |= check.family_sample_names(match.group(1), match.group(2))
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names


@pytest.mark.django_db
def test_every_dashboard_panel_queries_a_metric_the_app_exports(client):
    # Exercise the app, scrape it, and add what the registries declare (labelled metrics
    # appear on /metrics only once counted).
    for path in ("/", "/healthz", "/no-such-page/"):
        client.get(path)
    scraped = _scraped_names(client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode())
    assert "django_http_responses_total_by_status_view_method_total" in scraped
    exported = scraped | metrics.exported_sample_names()

    titles = check.check_grafana(MONITORING / "grafana", exported)

    assert len(titles) == 5


def test_a_panel_naming_an_unknown_metric_is_refused(tmp_path: Path):
    grafana = tmp_path / "grafana"
    shutil.copytree(MONITORING / "grafana", grafana)
    path = grafana / "dashboards" / "live.json"
    dashboard = json.loads(path.read_text())
    dashboard["panels"][0]["targets"][0]["expr"] = "sum(inkwell_live_sockets_opened)"
    path.write_text(json.dumps(dashboard))

    with pytest.raises(check.CheckError, match="no metric named inkwell_live_sockets_opened"):
        check.check_grafana(grafana, metrics.exported_sample_names())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["panels"][1].update(id=d["panels"][0]["id"]), "is used twice"),
        (lambda d: d["panels"][0]["targets"][0].update(datasource={"uid": "x"}), "datasource"),
        (lambda d: d["panels"][0]["gridPos"].update(x=20), "24 columns"),
        (lambda d: d.pop("uid"), "no 'uid'"),
    ],
)
def test_broken_dashboards_are_refused(tmp_path: Path, change, message):
    grafana = tmp_path / "grafana"
    shutil.copytree(MONITORING / "grafana", grafana)
    path = grafana / "dashboards" / "traffic.json"
    dashboard = json.loads(path.read_text())
    change(dashboard)
    path.write_text(json.dumps(dashboard))

    with pytest.raises(check.CheckError, match=message):
        check.check_grafana(grafana, metrics.exported_sample_names())


def test_promql_metric_names_skips_functions_labels_and_grafana_variables():
    expr = (
        'histogram_quantile(0.95, sum by (le, view) (rate(a_bucket{job="inkwell", '
        'view!~"b|c"}[$__rate_interval]))) / on (pod) group_left max(d) > 0.5 and e offset 5m'
    )
    assert check.promql_metric_names(expr) == {"a_bucket", "d", "e"}


def test_standalone_config_swaps_kubernetes_discovery_and_the_token(tmp_path: Path):
    notes = check.standalone_config(
        MONITORING / "prometheus.yml", tmp_path / "p.yml", tmp_path / "token"
    )
    text = (tmp_path / "p.yml").read_text()
    assert "kubernetes_sd_configs" not in text
    assert str(tmp_path / "token") in text
    assert notes == ["prometheus.yml: job inkwell: Kubernetes discovery -> static"]


@pytest.mark.skipif(
    PROMTOOL is None, reason="promtool is not installed (make infra-check installs it)"
)
def test_check_sh_passes_and_fails_on_a_broken_alert(tmp_path: Path):
    run = subprocess.run(
        [str(MONITORING / "check.sh"), str(PROMTOOL)],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHON": sys.executable},
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "5 Grafana dashboards valid" in run.stdout

    # A copy whose late-tasks alert waits for 30 minutes instead of 10: its unit test fails.
    copy = tmp_path / "monitoring"
    shutil.copytree(MONITORING, copy)
    alerts = copy / "alerts.yml"
    text = alerts.read_text()
    late = text.index("alert: InkwellTasksLate")
    alerts.write_text(text[:late] + text[late:].replace("for: 10m", "for: 30m", 1))
    broken = subprocess.run(
        [str(copy / "check.sh"), str(PROMTOOL)],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHON": sys.executable},
        check=False,
    )
    assert broken.returncode != 0
    assert "InkwellTasksLate" in broken.stdout + broken.stderr
