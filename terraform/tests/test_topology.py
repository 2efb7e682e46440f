"""The rendered objects hold the topology the cluster needs (see terraform/README.md)."""

import json
import pathlib
import re

from conftest import TERRAFORM_DIR, env_of

COMPONENTS = ("zone", "gateway", "coordinator")
POD_INDEX = "metadata.labels['apps.kubernetes.io/pod-index']"
REPO = TERRAFORM_DIR.parent


def port_of(address: str) -> int:
    return int(address.rsplit(":", 1)[1])


def test_zone_id_comes_from_the_pod_ordinal(rendered):
    env = env_of(rendered.container("zone"))
    assert env["MMO_ZONE_ORDINAL"]["valueFrom"] == {"fieldRef": {"fieldPath": POD_INDEX}}
    assert "MMO_ZONE_ID" not in env, "a fixed id would be the same for every zone pod"


def test_zone_advertises_its_pod_ip_and_link_port(rendered):
    container = rendered.container("zone")
    names = [e["name"] for e in container["env"]]
    env = env_of(container)
    link = {p["name"]: p["containerPort"] for p in container["ports"]}["link"]
    assert env["POD_IP"]["valueFrom"] == {"fieldRef": {"fieldPath": "status.podIP"}}
    assert env["MMO_ADVERTISE"]["value"] == f"$(POD_IP):{link}"
    assert names.index("POD_IP") < names.index("MMO_ADVERTISE"), "$(VAR) expands only earlier entries"
    assert env["MMO_LINK"]["value"] == f"0.0.0.0:{link}"


def test_gateway_id_and_public_addresses_come_from_the_ordinal(rendered):
    env = env_of(rendered.container("gateway"))
    assert env["MMO_GATEWAY_ORDINAL"]["valueFrom"] == {"fieldRef": {"fieldPath": POD_INDEX}}
    assert "MMO_GATEWAY_ID" not in env
    assert "{ordinal}" in env["MMO_PUBLIC_URL"]["value"]
    assert re.fullmatch(r"[a-z0-9{}.-]+:\d+", env["MMO_PUBLIC_QUIC"]["value"])
    gateways = rendered.outputs["gateways"]
    for g in gateways:
        host = env["MMO_PUBLIC_QUIC"]["value"].replace("{ordinal}", str(g["ordinal"]))
        assert g["public_quic"] == host and "{" not in host
        assert g["public_url"] == env["MMO_PUBLIC_URL"]["value"].replace("{ordinal}", str(g["ordinal"])) + "/"
    assert rendered.outputs["play_url"] == gateways[0]["public_url"]


def test_probes_are_on_the_port_named_in_mmo_http(rendered):
    for component in COMPONENTS:
        container = rendered.container(component)
        env = env_of(container)
        http = {p["name"]: p["containerPort"] for p in container["ports"]}["http"]
        assert port_of(env["MMO_HTTP"]["value"]) == http, component
        assert container["livenessProbe"]["httpGet"]["path"] == "/livez", component
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", component
        for probe in ("livenessProbe", "readinessProbe"):
            assert container[probe]["httpGet"]["port"] == "http", component
        annotations = rendered.workload(component)["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/port"] == str(http)
        assert annotations["prometheus.io/path"] == "/metrics"


def test_gateway_probes_follow_tls(redis, scylla):
    # The redis sample has a TLS Secret (HTTPS on the http port), the scylla sample none.
    for rendered, scheme in ((redis, "HTTPS"), (scylla, "HTTP")):
        container = rendered.container("gateway")
        env = env_of(container)
        assert container["readinessProbe"]["httpGet"]["scheme"] == scheme
        assert ("MMO_TLS_CERT" in env) == (scheme == "HTTPS")
        assert ("MMO_TLS_KEY" in env) == (scheme == "HTTPS")


def test_each_gateway_pod_has_its_own_load_balancer_with_udp_and_tcp(rendered):
    replicas = rendered.workload("gateway")["spec"]["replicas"]
    container = rendered.container("gateway")
    ports = {p["name"]: p for p in container["ports"]}
    balancers = [s for s in rendered.all("Service") if s["spec"].get("type") == "LoadBalancer"]
    assert len(balancers) == replicas == len(rendered.outputs["gateways"])
    for i in range(replicas):
        (svc,) = [s for s in balancers if s["metadata"]["name"] == f"mmo-gateway-{i}"]
        assert svc["spec"]["selector"] == {"statefulset.kubernetes.io/pod-name": f"mmo-gateway-{i}"}
        assert {(p["protocol"], p["targetPort"]) for p in svc["spec"]["ports"]} == {("TCP", "http"), ("UDP", "quic")}
        assert svc["spec"]["externalTrafficPolicy"] == "Local"
    assert ports["quic"]["protocol"] == "UDP"
    assert port_of(env_of(container)["MMO_QUIC"]["value"]) == ports["quic"]["containerPort"]


def ingress_sources(policy: dict, port: int) -> list:
    return [peer for rule in policy["spec"]["ingress"] if any(p["port"] == port for p in rule["ports"])
            for peer in rule.get("from", [{"anywhere": True}])]


def components_of(peer: dict) -> set:
    exprs = peer.get("podSelector", {}).get("matchExpressions", [])
    return {v for e in exprs if e["key"] == "app.kubernetes.io/component" for v in e["values"]}


def test_network_policies_let_only_members_reach_etcd_zone_links_and_the_api(rendered):
    policies = {p["metadata"]["name"]: p for p in rendered.all("NetworkPolicy")}
    assert {"mmo-etcd", "mmo-zone", "mmo-coordinator", "mmo-gateway"} <= set(policies)
    members = {"zone", "gateway", "coordinator"}
    cases = [("mmo-etcd", 2379, members | {"etcd"}), ("mmo-etcd", 2380, {"etcd"}),
             ("mmo-zone", 7000, {"zone", "gateway"}), ("mmo-coordinator", 8090, members)]
    for name, port, allowed in cases:
        policy = policies[name]
        assert policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == name[4:]
        pods = [p for p in ingress_sources(policy, port) if "podSelector" in p]
        namespaces = [p for p in ingress_sources(policy, port) if "podSelector" not in p]
        assert pods and set().union(*map(components_of, pods)) == allowed, (name, port)
        assert all("namespaceSelector" in p for p in namespaces), f"{name}:{port} open beyond members and metrics"
    gateway = policies["mmo-gateway"]["spec"]["ingress"]
    assert all("from" not in rule for rule in gateway), "the gateways' public ports are open to the world"


def test_pod_disruption_budgets(rendered):
    for component in ("etcd", *COMPONENTS):
        pdb = rendered.get("PodDisruptionBudget", f"mmo-{component}")
        assert pdb["spec"]["maxUnavailable"] == 1
        assert pdb["spec"]["selector"]["matchLabels"] == rendered.workload(component)["spec"]["selector"]["matchLabels"]


def test_grace_period_outlasts_the_drain(rendered):
    for component in ("zone", "gateway"):
        spec = rendered.workload(component)["spec"]["template"]["spec"]
        drain = int(env_of(rendered.container(component))["MMO_DRAIN_TIMEOUT_SECS"]["value"])
        assert spec["terminationGracePeriodSeconds"] > drain, component


def test_every_container_is_locked_down(rendered):
    for component in ("etcd", *COMPONENTS):
        spec = rendered.workload(component)["spec"]["template"]["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert spec["automountServiceAccountToken"] is False
        for c in spec["containers"]:
            sc = c["securityContext"]
            assert sc["runAsUser"] == 65532 and sc["runAsNonRoot"] is True
            assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
            assert sc["capabilities"] == {"drop": ["ALL"]}
            assert set(c["resources"]["requests"]) == set(c["resources"]["limits"]) == {"cpu", "memory"}


def test_images_and_entrypoints(rendered):
    for component in COMPONENTS:
        c = rendered.container(component)
        assert re.fullmatch(rf"[^:]+/mmo-{component}:[\w.-]+", c["image"]), c["image"]
        assert "command" not in c, "the image's entrypoint is the binary"
    assert rendered.container("coordinator")["args"] == ["run"]
    assert "args" not in rendered.container("zone") and "args" not in rendered.container("gateway")


def test_coordinators(rendered):
    deployment = rendered.workload("coordinator")
    assert deployment["spec"]["replicas"] >= 2
    env = env_of(rendered.container("coordinator"))
    assert env["MMO_CANDIDATE"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    assert env["MMO_API_TOKEN"]["valueFrom"]["secretKeyRef"]["name"] == "mmo-secrets"
    service = rendered.get("Service", "mmo-coordinator")
    assert "clusterIP" not in service["spec"] and service["spec"]["ports"][0]["targetPort"] == "http"


def test_etcd_members(rendered):
    sts = rendered.workload("etcd")
    replicas = sts["spec"]["replicas"]
    assert replicas % 2 == 1
    assert sts["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "data"
    args = rendered.container("etcd")["args"]
    (initial,) = [a for a in args if a.startswith("--initial-cluster=")]
    assert [m.split("=")[0] for m in initial.split("=", 1)[1].split(",")] == [f"mmo-etcd-{i}" for i in range(replicas)]
    endpoints = env_of(rendered.container("zone"))["MMO_ETCD"]["value"].split(",")
    assert len(endpoints) == replicas
    assert rendered.get("Service", "mmo-etcd")["spec"]["publishNotReadyAddresses"] is True


def test_store_urls(redis, scylla):
    for component in ("zone", "gateway"):
        env = env_of(redis.container(component))
        assert env["MMO_DURABLE"]["value"].startswith("redis://:$(VALKEY_PASSWORD)@mmo-valkey.")
        assert env["MMO_HOT"]["value"] == "durable"
        env = env_of(scylla.container(component))
        assert re.fullmatch(r"scylla://mmo-scylla-client\.[a-z0-9-]+\.svc\.[a-z.]+:9042/\w+", env["MMO_DURABLE"]["value"])
        assert env["MMO_HOT"]["value"].startswith("redis://")
        names = [e["name"] for e in scylla.container(component)["env"]]
        assert names.index("VALKEY_PASSWORD") < names.index("MMO_HOT")
    assert "scylla-values" not in redis.charts
    assert scylla.charts["scylla-values"]["fullnameOverride"] == "mmo-scylla"
    assert redis.charts["valkey-values"]["auth"]["usersExistingSecret"] == "mmo-secrets"


def test_dashboard_names_only_metrics_the_services_export(rendered):
    (cm,) = [c for c in rendered.all("ConfigMap") if c["metadata"]["labels"].get("grafana_dashboard") == "1"]
    dashboard = json.loads(cm["data"]["mmo.json"])
    used = set(re.findall(r"mmo_[a-z_]+", json.dumps(dashboard)))
    used = {re.sub(r"_(bucket|count|sum)$", "", m) for m in used}
    source = "\n".join(p.read_text() for p in REPO.glob("**/src/**/*.rs") if "target" not in p.parts)
    exported = set(re.findall(r'(?:counter|gauge|histogram)!\(\s*"(mmo_[a-z_]+)"', source))
    assert used and used <= exported, f"not exported by any service: {sorted(used - exported)}"
