"""The rendered Kubernetes manifests keep the promises docs/deployment.md makes about them.

Every overlay is rendered by the real kustomize (kubectl kustomize, from the dev lock), and
each workload in it is checked: hardened security contexts, requests and limits, a writable
/tmp from an emptyDir; autoscalers for web and ws; NetworkPolicies that let only the
ingress controller reach web and ws, and only Inkwell's pods reach PostgreSQL and Redis.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "infrastructure" / "k8s"
KUBECTL = Path(sys.executable).parent / "kubectl"
OVERLAYS = sorted(p.name for p in (K8S / "overlays").iterdir() if p.is_dir())

pytestmark = pytest.mark.skipif(not KUBECTL.exists(), reason="kubectl is not in the venv")


def render(path: Path) -> list[dict[str, Any]]:
    out = subprocess.run(
        [str(KUBECTL), "kustomize", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


@pytest.fixture(scope="module", params=["base", *(f"overlays/{o}" for o in OVERLAYS)])
def objects(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return render(K8S / request.param)


def pod_specs(objects: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    specs = []
    for obj in objects:
        kind, name = obj["kind"], obj["metadata"]["name"]
        if kind in ("Deployment", "Job", "StatefulSet", "DaemonSet"):
            specs.append((f"{kind}/{name}", obj["spec"]["template"]["spec"]))
        elif kind == "CronJob":
            specs.append((f"{kind}/{name}", obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]))
    return specs


def by_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def test_there_are_a_staging_and_a_production_overlay() -> None:
    assert {"staging", "production"} <= set(OVERLAYS)


def test_every_pod_is_hardened(objects: list[dict[str, Any]]) -> None:
    specs = pod_specs(objects)
    assert len(specs) >= 9  # web, ws, worker, migrate and the CronJobs
    for where, spec in specs:
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True, where
        assert pod["runAsUser"] != 0, where
        assert pod["seccompProfile"] == {"type": "RuntimeDefault"}, where
        assert spec.get("automountServiceAccountToken") is False, where
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for container in spec.get("initContainers", []) + spec["containers"]:
            here = f"{where} {container['name']}"
            ctx = container["securityContext"]
            assert ctx["allowPrivilegeEscalation"] is False, here
            assert ctx["readOnlyRootFilesystem"] is True, here
            assert ctx["capabilities"]["drop"] == ["ALL"], here
            assert "add" not in ctx["capabilities"], here
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][kind]), f"{here} {kind}"
            tmp = [m for m in container.get("volumeMounts", []) if m["mountPath"] == "/tmp"]
            assert tmp, f"{here}: no writable /tmp on a read-only root"
            assert "emptyDir" in volumes[tmp[0]["name"]], here


def test_web_and_ws_scale_with_an_autoscaler_that_owns_the_replica_count(
    objects: list[dict[str, Any]],
) -> None:
    hpas = by_kind(objects, "HorizontalPodAutoscaler")
    deployments = by_kind(objects, "Deployment")
    budgets = by_kind(objects, "PodDisruptionBudget")
    assert set(hpas) == {"web", "ws"}
    for name, hpa in hpas.items():
        target = hpa["spec"]["scaleTargetRef"]
        assert (target["kind"], target["name"]) == ("Deployment", name)
        assert "replicas" not in deployments[name]["spec"], f"{name}: apply would undo the HPA"
        assert 1 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
        # A drain must stay possible: the budget leaves at least one pod to evict.
        budget = budgets[name]["spec"]
        if "minAvailable" in budget:
            assert budget["minAvailable"] < hpa["spec"]["minReplicas"], name
        else:
            assert budget["maxUnavailable"] >= 1, name
        cpu = [m for m in hpa["spec"]["metrics"] if m["resource"]["name"] == "cpu"]
        assert cpu, name


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    ok = all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())
    for expr in selector.get("matchExpressions", []):
        assert expr["operator"] == "In"
        ok = ok and labels.get(expr["key"]) in expr["values"]
    return ok


def test_network_policies_let_only_the_ingress_reach_web_and_ws(
    objects: list[dict[str, Any]],
) -> None:
    policies = list(by_kind(objects, "NetworkPolicy").values())
    deny = [p for p in policies if p["spec"]["podSelector"] == {}]
    assert deny, "no default deny for the namespace"
    assert "ingress" not in deny[0]["spec"]
    assert deny[0]["spec"]["policyTypes"] == ["Ingress"]
    for component in ("web", "ws"):
        labels = {"app.kubernetes.io/name": "inkwell", "app.kubernetes.io/component": component}
        rules = [
            rule
            for p in policies
            if p["spec"]["podSelector"] and _selects(p["spec"]["podSelector"], labels)
            for rule in p["spec"].get("ingress", [])
        ]
        sources = [peer for rule in rules for peer in rule["from"]]
        namespaces = {
            peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
            for peer in sources
        }
        assert namespaces == {"ingress-nginx", "monitoring"}, component
        assert all(set(peer) == {"namespaceSelector"} for peer in sources)
        assert all(rule["ports"] == [{"protocol": "TCP", "port": 8000}] for rule in rules)
    # The worker, the migrate Job and the CronJobs accept nothing: only the default deny
    # selects them.
    worker = {"app.kubernetes.io/name": "inkwell", "app.kubernetes.io/component": "worker"}
    assert [p for p in policies if _selects(p["spec"]["podSelector"], worker)] == deny


@pytest.mark.parametrize(("service", "port"), [("postgresql", 5432), ("redis", 6379)])
def test_network_policies_let_only_the_apps_reach_postgresql_and_redis(
    objects: list[dict[str, Any]], service: str, port: int
) -> None:
    policies = [
        p for p in by_kind(objects, "NetworkPolicy").values()
        if p["spec"]["podSelector"].get("matchLabels") == {"app.kubernetes.io/name": service}
    ]  # fmt: skip
    assert len(policies) == 1
    (rule,) = policies[0]["spec"]["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": port}]
    allowed = {
        peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for peer in rule["from"]
    }
    assert "inkwell" in allowed
    assert allowed <= {"inkwell", "pgbouncer"}
    assert all(set(peer) == {"podSelector"} for peer in rule["from"]), "no other namespace"


def test_staging_is_its_own_namespace_and_host() -> None:
    staging = render(K8S / "overlays" / "staging")
    production = render(K8S / "overlays" / "production")
    assert {o["metadata"].get("namespace") for o in staging if o["kind"] != "Namespace"} == {
        "inkwell-staging"
    }
    assert by_kind(staging, "Namespace").keys() == {"inkwell-staging"}
    assert by_kind(production, "Namespace").keys() == {"inkwell"}
    hosts = {
        rule["host"]
        for ing in by_kind(staging, "Ingress").values()
        for rule in ing["spec"]["rules"]
    }
    assert hosts == {"staging.blog.example.com"}
    config = by_kind(staging, "ConfigMap")["inkwell-config"]["data"]
    assert config["DJANGO_ALLOWED_HOSTS"] == "staging.blog.example.com"
    assert config["DJANGO_ENV"] == "production"  # the base's keys stay
