# Zones: pods that take their zone id from their StatefulSet ordinal (id = ordinal + 1, done
# by the binary) and register their pod IP for the zone link. The StatefulSet, its headless
# Service and its PodDisruptionBudget (rolling updates and node drains drain one zone at a
# time) are made in workloads.tf.
locals {
  zone_workload = {
    image   = "${local.s.image_registry}/mmo-zone:${local.s.image_tag}"
    command = []
    args    = []
    env = concat(local.member_env, [
      { name = "MMO_ZONE_ORDINAL", valueFrom = local.ordinal_from },
      { name = "POD_IP", valueFrom = { fieldRef = { fieldPath = "status.podIP" } } },
      { name = "MMO_LINK", value = "0.0.0.0:${local.ports.zone_link}" },
      { name = "MMO_ADVERTISE", value = "$(POD_IP):${local.ports.zone_link}" },
      { name = "MMO_HTTP", value = "0.0.0.0:${local.ports.zone_http}" },
      { name = "MMO_NPCS_PER_CELL", value = tostring(local.s.zone_npcs_per_cell) },
      { name = "MMO_CAPACITY", value = tostring(local.s.zone_capacity) },
      { name = "MMO_DRAIN_TIMEOUT_SECS", value = tostring(local.s.zone_drain_timeout_secs) },
    ])
    ports = [
      { name = "link", containerPort = local.ports.zone_link, protocol = "TCP" },
      { name = "http", containerPort = local.ports.zone_http, protocol = "TCP" },
    ]
    scheme         = "HTTP"
    liveness_path  = "/livez"
    readiness_path = "/readyz"
    # SIGTERM drains the zone (its cells handed away); Kubernetes waits this long before SIGKILL.
    grace    = local.s.zone_drain_timeout_secs + 15
    volumes  = []
    mounts   = []
    replicas = local.s.zone_replicas
    claims   = []
  }
}
