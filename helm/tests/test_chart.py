"""The chart's template logic, over `helm template` output for chosen values."""

from __future__ import annotations

import pytest
from rendering import RenderError

SERVICES = ("gateway", "auth", "customer", "restaurant", "order", "delivery")


def _kind(documents, kind):
    return {d["metadata"]["name"].removeprefix("fd-food-delivery-"): d for d in documents if d["kind"] == kind}


def _env(deployment) -> dict:
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def test_default_images_are_the_release_version_of_each_service(helm):
    deployments = _kind(helm(), "Deployment")

    for service in SERVICES:
        image = deployments[service]["spec"]["template"]["spec"]["containers"][0]["image"]
        assert image == f"ghcr.io/food-delivery/food-delivery-{service}:0.1.0"  # the chart's appVersion


def test_a_disruption_budget_only_where_two_pods_remain_possible(helm):
    with_autoscaling = _kind(helm(), "PodDisruptionBudget")
    one_replica = _kind(
        helm(
            "--set",
            "autoscaling.enabled=false",
            "--set",
            "services.auth.replicas=1",
            "--set",
            "services.order.replicas=1",
        ),
        "PodDisruptionBudget",
    )

    assert set(with_autoscaling) == set(SERVICES)
    assert all(
        p["spec"] == {**p["spec"], "maxUnavailable": 1} and "minAvailable" not in p["spec"]
        for p in with_autoscaling.values()
    )
    assert set(one_replica) == set(SERVICES) - {"auth", "order"}


def test_each_service_admits_only_its_real_callers(helm):
    policies = _kind(helm(), "NetworkPolicy")

    def callers(name):
        rule = policies[name]["spec"]["ingress"][0]["from"][0]["podSelector"]["matchExpressions"]
        return set(next(e["values"] for e in rule if e["key"] == "app.kubernetes.io/component"))

    assert callers("auth") == {"gateway", "customer", "restaurant", "order", "delivery"}
    assert callers("customer") == {"gateway", "restaurant", "order"}  # browsing by, placing to an address
    assert callers("restaurant") == {"gateway", "customer", "order"}
    assert callers("order") == {"gateway", "customer", "restaurant", "delivery"}
    assert callers("delivery") == {"gateway", "order"}
    assert callers("mongodb") == {"auth", "customer", "restaurant", "order", "delivery"}
    assert "gateway" in callers("redis")
    gateway_from = policies["gateway"]["spec"]["ingress"][0]["from"]
    assert gateway_from[0]["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}
    assert policies["default-deny"]["spec"]["policyTypes"] == ["Ingress"]


def test_monitoring_and_ingress_namespaces_are_configurable(helm):
    named = _kind(
        helm(
            "--set",
            "networkPolicy.ingressControllerNamespace=traefik",
            "--set",
            "networkPolicy.monitoringNamespace=obs",
        ),
        "NetworkPolicy",
    )
    selected = _kind(
        helm("--set-json", 'networkPolicy.ingressControllerNamespaceSelector={"matchLabels":{"team":"edge"}}'),
        "NetworkPolicy",
    )
    no_scraping = _kind(helm("--set", "networkPolicy.monitoringNamespace="), "NetworkPolicy")

    assert named["gateway"]["spec"]["ingress"][0]["from"][0]["namespaceSelector"] == {
        "matchLabels": {"kubernetes.io/metadata.name": "traefik"}
    }
    assert named["order"]["spec"]["ingress"][1]["from"][0]["namespaceSelector"] == {
        "matchLabels": {"kubernetes.io/metadata.name": "obs"}
    }
    assert selected["gateway"]["spec"]["ingress"][0]["from"][0]["namespaceSelector"] == {
        "matchLabels": {"team": "edge"}
    }
    assert len(no_scraping["order"]["spec"]["ingress"]) == 1


def test_network_policies_can_be_switched_off(helm):
    assert _kind(helm("--set", "networkPolicy.enabled=false"), "NetworkPolicy") == {}


def test_a_service_monitor_only_where_its_crd_exists(helm):
    without_crd = helm("--set", "metrics.serviceMonitor.enabled=true")
    with_crd = helm(
        "--set", "metrics.serviceMonitor.enabled=true", api_versions=("monitoring.coreos.com/v1/ServiceMonitor",)
    )

    assert not [d for d in without_crd if d["kind"] == "ServiceMonitor"]
    assert [d for d in with_crd if d["kind"] == "ServiceMonitor"]


def test_the_gateway_trusts_a_forwarded_hop_only_behind_the_ingress(helm):
    behind = _env(_kind(helm(), "Deployment")["gateway"])
    exposed = _env(_kind(helm("--set", "ingress.enabled=false"), "Deployment")["gateway"])

    assert (behind["TRUSTED_PROXY_HOPS"], behind["OPERATIONS_DIRECT_ONLY"]) == ("1", "true")
    assert (exposed["TRUSTED_PROXY_HOPS"], exposed["OPERATIONS_DIRECT_ONLY"]) == ("0", "false")


def test_backends_stay_ready_when_only_redis_blips(helm):
    deployments = _kind(helm(), "Deployment")

    for service in set(SERVICES) - {"gateway"}:
        assert _env(deployments[service])["READINESS_REQUIRES"] == "mongodb"


def test_rolling_updates_drain_before_stopping(helm):
    for deployment in _kind(helm(), "Deployment").values():
        pod = deployment["spec"]["template"]["spec"]
        if deployment["metadata"]["name"].endswith("redis"):
            continue
        assert pod["containers"][0]["lifecycle"]["preStop"]["exec"]["command"] == ["sleep", "5"]
        assert pod["terminationGracePeriodSeconds"] > 5 + 20  # preStop, then uvicorn's graceful shutdown


def test_indexes_wait_for_mongodb_and_its_probe_has_time(helm):
    documents = helm()
    order = _kind(documents, "Deployment")["order"]["spec"]["template"]["spec"]
    mongodb = _kind(documents, "StatefulSet")["mongodb"]["spec"]["template"]["spec"]["containers"][0]

    assert order["initContainers"][0]["args"] == ["indexes"]  # docker/entrypoint.sh waits for MongoDB
    assert mongodb["readinessProbe"]["timeoutSeconds"] >= 5


def test_changing_given_secrets_restarts_the_pods(helm):
    before = _kind(helm(), "Deployment")["auth"]["spec"]["template"]["metadata"]["annotations"]
    after = _kind(helm("--set", "secrets.djangoSecretKey=rotated"), "Deployment")["auth"]["spec"]["template"][
        "metadata"
    ]["annotations"]

    assert before["checksum/secret-values"] != after["checksum/secret-values"]


def test_offline_renders_must_name_an_existing_secret(helm):
    with pytest.raises(RenderError, match="existingSecret"):
        helm("--set", "secrets.generate=false")
    managed = helm("--set", "secrets.generate=false", "--set", "secrets.existingSecret=mine")

    assert not [d for d in managed if d["kind"] == "Secret"]


def test_bad_values_fail_at_install(helm):
    with pytest.raises(RenderError, match="replicas"):
        helm("--set", "services.auth.replicas=0")
    with pytest.raises(RenderError, match="pullPolicy"):
        helm("--set", "image.pullPolicy=Sometimes")
    with pytest.raises(RenderError, match=r"additional properties|not allowed"):
        helm("--set", "ingres.enabled=true")


def test_helm_test_checks_the_platform_through_the_gateway(helm):
    pod = next(d for d in helm() if d["kind"] == "Pod")

    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    assert "fd-food-delivery-gateway:8000" in pod["spec"]["containers"][0]["command"][-1]
    assert pod["metadata"]["labels"]["app.kubernetes.io/component"] == "helm-test"
