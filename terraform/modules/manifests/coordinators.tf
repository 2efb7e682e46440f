# Coordinators: replicas (2 by default) of `mmo-coordinator run` that elect their leader
# through etcd; each answers the API and serves the dashboard. The Deployment, its Service and
# its PodDisruptionBudget are made in workloads.tf.
locals {
  coordinator_workload = {
    image   = "${local.s.image_registry}/mmo-coordinator:${local.s.image_tag}"
    command = []
    args    = ["run"]
    env = concat(local.registry_env, [
      { name = "MMO_CANDIDATE", valueFrom = { fieldRef = { fieldPath = "metadata.name" } } },
      { name = "MMO_HTTP", value = "0.0.0.0:${local.ports.coord_http}" },
      { name = "MMO_LEADER_TTL_SECS", value = tostring(local.s.lease_ttl_secs) },
      { name = "MMO_CLIENT_DIR", value = local.s.client_dir },
      { name = "MMO_REBALANCE", value = local.s.coordinator_rebalance },
      { name = "MMO_API_TOKEN", valueFrom = local.secret_env.api_token },
    ])
    ports          = [{ name = "http", containerPort = local.ports.coord_http, protocol = "TCP" }]
    scheme         = "HTTP"
    liveness_path  = "/livez"
    readiness_path = "/readyz"
    grace          = 15
    volumes        = []
    mounts         = []
    replicas       = local.s.coordinator_replicas
    claims         = []
  }
}
