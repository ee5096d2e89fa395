"""Checks for infrastructure/monitoring that promtool does not do (check.sh runs them).

    check.py standalone-config IN OUT TOKEN
        A copy of the Prometheus configuration IN that promtool can check on any machine:
        the bearer-token file is TOKEN, and Kubernetes service discovery (which Debian's
        promtool is built without) becomes one static target with the same relabelling.
    check.py dashboards GRAFANA_DIR
        The Grafana provisioning files and every dashboard: valid JSON, the structure Grafana
        needs (unique uids and panel ids, grid positions, a query per panel), every panel on
        the provisioned Prometheus datasource, and every metric a query names exported by
        the app (read from its registries with Django set up; nothing is served).

tests/core/test_monitoring.py runs the same functions under pytest.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]

# Grafana's uid limit, and the datasource uid the provisioning file gives Prometheus.
MAX_UID_LENGTH = 40
DATASOURCE_UID = "inkwell-prometheus"

# Prometheus's own series, not the app's.
PROMETHEUS_METRICS = frozenset({"up", "scrape_duration_seconds", "scrape_samples_scraped"})

PROMQL_WORDS = frozenset(
    [
        "sum",
        "min",
        "max",
        "avg",
        "group",
        "stddev",
        "stdvar",
        "count",
        "count_values",
        "bottomk",
        "topk",
        "quantile",
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "bool",
        "and",
        "or",
        "unless",
        "offset",
        "abs",
        "absent",
        "absent_over_time",
        "ceil",
        "changes",
        "clamp",
        "clamp_max",
        "clamp_min",
        "day_of_month",
        "day_of_week",
        "day_of_year",
        "days_in_month",
        "delta",
        "deriv",
        "exp",
        "floor",
        "histogram_quantile",
        "histogram_count",
        "histogram_sum",
        "histogram_fraction",
        "holt_winters",
        "hour",
        "idelta",
        "increase",
        "irate",
        "label_join",
        "label_replace",
        "ln",
        "log2",
        "log10",
        "minute",
        "month",
        "predict_linear",
        "rate",
        "resets",
        "round",
        "scalar",
        "sgn",
        "sort",
        "sort_desc",
        "sqrt",
        "time",
        "timestamp",
        "vector",
        "year",
        "avg_over_time",
        "min_over_time",
        "max_over_time",
        "sum_over_time",
        "count_over_time",
        "quantile_over_time",
        "stddev_over_time",
        "stdvar_over_time",
        "last_over_time",
        "present_over_time",
        "inf",
        "nan",
    ]
)


class CheckError(Exception):
    """What is wrong, said so that the file and the place are clear."""


# --- Prometheus configuration --------------------------------------------------------


def standalone_config(source: Path, target: Path, token: Path) -> list[str]:
    """Write `source` as `target` for promtool; return what was changed (for the log)."""
    config = yaml.safe_load(source.read_text())
    notes = []
    for job in config.get("scrape_configs", []):
        auth = job.get("authorization")
        if auth and "credentials_file" in auth:
            auth["credentials_file"] = str(token)
        if job.pop("kubernetes_sd_configs", None) is not None:
            job.setdefault("static_configs", []).append({"targets": ["127.0.0.1:8000"]})
            notes.append(f"{source.name}: job {job['job_name']}: Kubernetes discovery -> static")
    target.write_text(yaml.safe_dump(config, sort_keys=False))
    return notes


# --- Metric names the app exports ----------------------------------------------------


def family_sample_names(name: str, kind: str) -> set[str]:
    """The sample names a metric family of `kind` appears under in the text exposition."""
    if kind == "counter":
        return {f"{name}_total", f"{name}_created"}
    if kind == "histogram":
        return {f"{name}_bucket", f"{name}_count", f"{name}_sum", f"{name}_created"}
    if kind == "summary":
        return {name, f"{name}_count", f"{name}_sum", f"{name}_created"}
    if kind == "info":
        return {f"{name}_info"}
    return {name}


def exported_metric_names() -> set[str]:
    """Every sample name /metrics can carry: Django set up in-process, registries read."""
    # Read the registries of this process; the check serves nothing and writes no files.
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    import django

    django.setup()
    from apps.core import metrics

    return metrics.exported_sample_names()


# --- Grafana -------------------------------------------------------------------------


def promql_metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (Grafana's $variables removed)."""
    text = re.sub(r"\$\{[^}]*\}|\$\w+", "", expr)
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)  # label values
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges
    text = re.sub(
        r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text, flags=re.I
    )
    names = set()
    for match in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)", text):
        word = match.group(1)
        if word.lower() in PROMQL_WORDS:
            continue
        rest = text[match.end() :].lstrip()
        if rest.startswith("("):  # a function call
            continue
        names.add(word)
    return names


def _panels(dashboard: dict[str, Any]) -> Iterable[dict[str, Any]]:
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])  # inside a collapsed row


def check_dashboard(path: Path, exported: set[str]) -> dict[str, Any]:
    """Raise CheckError naming what is wrong with the dashboard in `path`."""
    try:
        dashboard = json.loads(path.read_text())
    except ValueError as error:
        raise CheckError(f"{path.name}: not valid JSON: {error}") from error
    if not isinstance(dashboard, dict):
        raise CheckError(f"{path.name}: a dashboard is a JSON object")
    for key in ("uid", "title", "panels", "schemaVersion"):
        if key not in dashboard:
            raise CheckError(f"{path.name}: no {key!r}")
    uid = dashboard["uid"]
    if not isinstance(uid, str) or not 0 < len(uid) <= MAX_UID_LENGTH:
        raise CheckError(f"{path.name}: uid must be 1-{MAX_UID_LENGTH} characters")
    if dashboard.get("id") is not None:
        raise CheckError(f'{path.name}: a provisioned dashboard has "id": null')
    panel_ids: set[int] = set()
    panels = list(_panels(dashboard))
    if not panels:
        raise CheckError(f"{path.name}: no panels")
    for panel in panels:
        where = f"{path.name}: panel {panel.get('title')!r}"
        for key in ("id", "type", "title", "gridPos"):
            if key not in panel:
                raise CheckError(f"{where}: no {key!r}")
        if panel["id"] in panel_ids:
            raise CheckError(f"{where}: panel id {panel['id']} is used twice")
        panel_ids.add(panel["id"])
        grid = panel["gridPos"]
        if not all(isinstance(grid.get(k), int) for k in ("h", "w", "x", "y")):
            raise CheckError(f"{where}: gridPos needs integer h, w, x and y")
        if grid["x"] + grid["w"] > 24:
            raise CheckError(f"{where}: wider than Grafana's 24 columns")
        if panel["type"] == "row":
            continue
        targets = panel.get("targets") or []
        if not targets:
            raise CheckError(f"{where}: no query")
        for target in [panel, *targets]:
            source = target.get("datasource")
            if target is panel and source is None:
                continue
            if not isinstance(source, dict) or source.get("uid") != DATASOURCE_UID:
                raise CheckError(f"{where}: the datasource must be uid {DATASOURCE_UID!r}")
        for target in targets:
            expr = target.get("expr")
            if not isinstance(expr, str) or not expr.strip():
                raise CheckError(f"{where}: a query without a PromQL expr")
            names = promql_metric_names(expr)
            if not names:
                raise CheckError(f"{where}: the query {expr!r} names no metric")
            unknown = sorted(names - exported - PROMETHEUS_METRICS)
            if unknown:
                raise CheckError(
                    f"{where}: the app exports no metric named {', '.join(unknown)} "
                    f"(query {expr!r})"
                )
    return dashboard


def check_provisioning(grafana: Path) -> Path:
    """Check the datasource and dashboard providers; return the dashboards directory."""
    datasources = yaml.safe_load((grafana / "provisioning/datasources/inkwell.yml").read_text())
    uids = {d.get("uid"): d for d in datasources.get("datasources", [])}
    if uids.get(DATASOURCE_UID, {}).get("type") != "prometheus":
        raise CheckError(f"provisioning: no Prometheus datasource with uid {DATASOURCE_UID!r}")
    providers = yaml.safe_load((grafana / "provisioning/dashboards/inkwell.yml").read_text())
    for config in (datasources, providers):
        if config.get("apiVersion") != 1:
            raise CheckError("provisioning: apiVersion must be 1")
    paths = [p.get("options", {}).get("path") for p in providers.get("providers", [])]
    if not paths or not all(paths):
        raise CheckError("provisioning: every dashboard provider needs options.path")
    dashboards = grafana / "dashboards"
    if not sorted(dashboards.glob("*.json")):
        raise CheckError(f"no dashboards in {dashboards}")
    return dashboards


def check_grafana(grafana: Path, exported: set[str]) -> list[str]:
    """Check the provisioning and every dashboard; return their titles."""
    dashboards = check_provisioning(grafana)
    titles, uids = [], set()
    for path in sorted(dashboards.glob("*.json")):
        dashboard = check_dashboard(path, exported)
        if dashboard["uid"] in uids:
            raise CheckError(f"{path.name}: uid {dashboard['uid']!r} is used twice")
        uids.add(dashboard["uid"])
        titles.append(dashboard["title"])
    return titles


def main(argv: list[str]) -> int:
    try:
        if argv[:1] == ["standalone-config"] and len(argv) == 4:
            for note in standalone_config(Path(argv[1]), Path(argv[2]), Path(argv[3])):
                sys.stdout.write(f"monitoring: {note}\n")
            return 0
        if argv[:1] == ["dashboards"] and len(argv) == 2:
            titles = check_grafana(Path(argv[1]), exported_metric_names())
            sys.stdout.write(
                f"monitoring: {len(titles)} Grafana dashboards valid: {', '.join(titles)}\n"
            )
            return 0
    except (CheckError, OSError, yaml.YAMLError) as error:
        sys.stderr.write(f"monitoring: FAILED: {error}\n")
        return 1
    sys.stderr.write(__doc__ or "")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
