# The controller, Service and PodDisruptionBudget of every workload, made alike for all four
# from local.workloads (common.tf):
# - etcd, zones and gateways are StatefulSets (stable names and ordinals) whose governing
#   Services are headless; etcd's also publishes members before they are ready, so that they
#   find each other. Coordinators are a Deployment behind a ClusterIP Service (API, dashboard).
# - every PodDisruptionBudget lets one pod go at a time: etcd keeps its quorum, zones drain one
#   by one, a gateway's players move once, one coordinator stays.
locals {
  stateful = { for c, w in local.workloads : c => c != "coordinator" }

  controller_objects = [for c, w in local.workloads : {
    apiVersion = "apps/v1"
    kind       = local.stateful[c] ? "StatefulSet" : "Deployment"
    metadata   = local.meta[c]
    spec = merge(
      {
        replicas = w.replicas
        selector = { matchLabels = local.selector_labels[c] }
        template = local.pod_templates[c]
      },
      { for k, v in {
        serviceName         = "mmo-${c}"
        podManagementPolicy = "Parallel"                 # pods start together (etcd forms its quorum so)
        updateStrategy      = { type = "RollingUpdate" } # one pod at a time
      } : k => v if local.stateful[c] },
      { for k, v in { volumeClaimTemplates = w.claims } : k => v if length(v) > 0 },
      { for k, v in {
        strategy = { type = "RollingUpdate", rollingUpdate = { maxUnavailable = 0, maxSurge = 1 } }
      } : k => v if !local.stateful[c] },
    )
  }]

  service_objects = [for c, w in local.workloads : {
    apiVersion = "v1"
    kind       = "Service"
    metadata   = local.meta[c]
    spec = merge(
      {
        selector = local.selector_labels[c]
        ports = [for p in w.ports :
        { name = p.name, port = p.containerPort, targetPort = p.name, protocol = p.protocol }]
      },
      { for k, v in { clusterIP = "None" } : k => v if local.stateful[c] },
      { for k, v in { publishNotReadyAddresses = true } : k => v if c == "etcd" },
    )
  }]

  pdb_objects = [for c, w in local.workloads : {
    apiVersion = "policy/v1"
    kind       = "PodDisruptionBudget"
    metadata   = local.meta[c]
    spec       = { maxUnavailable = 1, selector = { matchLabels = local.selector_labels[c] } }
  }]
}
