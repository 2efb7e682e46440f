# NetworkPolicies: only members of this world (zones, gateways, coordinators) reach etcd's
# client port, the zone links and the coordinator API; etcd members alone reach its peer port;
# the metrics namespace (Prometheus) reaches every /metrics port; the gateways' public ports
# are open to the world. Egress is not restricted.
locals {
  np = { for c, rules in {
    etcd = [
      { from = [local.members_of.all, local.members_of.etcd_members], ports = [local.ports.etcd_client] },
      { from = [local.members_of.etcd_members], ports = [local.ports.etcd_peer] },
      { from = [local.metrics_scrapers], ports = [local.ports.etcd_metrics] },
    ]
    zone = [
      { from = [local.members_of.zone_link], ports = [local.ports.zone_link] },
      { from = [local.metrics_scrapers], ports = [local.ports.zone_http] },
    ]
    coordinator = [
      { from = [local.members_of.all, local.metrics_scrapers], ports = [local.ports.coord_http] },
    ]
    } : c => {
    apiVersion = "networking.k8s.io/v1"
    kind       = "NetworkPolicy"
    metadata   = local.meta[c]
    spec = {
      podSelector = { matchLabels = local.selector_labels[c] }
      policyTypes = ["Ingress"]
      ingress = [for r in rules : {
        from  = r.from
        ports = [for p in r.ports : { port = p, protocol = "TCP" }]
      }]
    }
  } }

  gateway_network_policy = {
    apiVersion = "networking.k8s.io/v1"
    kind       = "NetworkPolicy"
    metadata   = local.meta.gateway
    spec = {
      podSelector = { matchLabels = local.selector_labels.gateway }
      policyTypes = ["Ingress"]
      ingress = [{ # players: from anywhere
        ports = [for p in local.gateway_workload.ports : { port = p.containerPort, protocol = p.protocol }]
      }]
    }
  }

  network_policy_objects = concat(values(local.np), [local.gateway_network_policy])
}
