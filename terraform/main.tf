# The module: the Kubernetes objects computed by modules/manifests (provider-free, so the same
# objects are rendered offline by terraform/render), applied with kubernetes_manifest, plus
# the charts of the stores (datastores.tf).
module "manifests" {
  source = "./modules/manifests"
  settings = {
    namespace                     = var.namespace
    create_namespace              = var.create_namespace
    pod_security_level            = var.pod_security_level
    cluster_domain                = var.cluster_domain
    extra_labels                  = var.extra_labels
    storage_class_name            = var.storage_class_name
    metrics_namespace             = var.metrics_namespace
    grafana_dashboard_namespace   = var.grafana_dashboard_namespace
    world                         = var.world
    world_size                    = var.world_size
    cell_tiles                    = var.cell_tiles
    seed                          = var.seed
    tick_ms                       = var.tick_ms
    lease_ttl_secs                = var.lease_ttl_secs
    image_registry                = var.image_registry
    image_tag                     = var.image_tag
    image_pull_policy             = var.image_pull_policy
    client_dir                    = var.client_dir
    resources                     = var.resources
    etcd_image                    = var.etcd_image
    etcd_replicas                 = var.etcd_replicas
    etcd_storage_size             = var.etcd_storage_size
    durable_store                 = var.durable_store
    valkey_chart_version          = var.valkey_chart_version
    valkey_storage_size           = var.valkey_storage_size
    scylla_operator_chart_version = var.scylla_operator_chart_version
    scylla_chart_version          = var.scylla_chart_version
    scylla_namespace              = var.scylla_namespace
    scylla_datacenter             = var.scylla_datacenter
    scylla_members                = var.scylla_members
    scylla_storage_size           = var.scylla_storage_size
    scylla_keyspace               = var.scylla_keyspace
    zone_replicas                 = var.zone_replicas
    zone_npcs_per_cell            = var.zone_npcs_per_cell
    zone_capacity                 = var.zone_capacity
    zone_drain_timeout_secs       = var.zone_drain_timeout_secs
    gateway_replicas              = var.gateway_replicas
    gateway_public_host           = var.gateway_public_host
    gateway_public_port           = var.gateway_public_port
    gateway_tls_secret_name       = var.gateway_tls_secret_name
    gateway_service_annotations   = var.gateway_service_annotations
    gateway_quic_validation       = var.gateway_quic_validation
    gateway_max_sessions          = var.gateway_max_sessions
    gateway_drain_timeout_secs    = var.gateway_drain_timeout_secs
    token_ttl_secs                = var.token_ttl_secs
    coordinator_replicas          = var.coordinator_replicas
    coordinator_rebalance         = var.coordinator_rebalance
    token_key                     = var.token_key
    api_token                     = var.api_token
    valkey_password               = var.valkey_password
  }
}

resource "kubernetes_manifest" "namespace" {
  count    = var.create_namespace ? 1 : 0
  manifest = jsondecode(module.manifests.namespace)
}

resource "kubernetes_manifest" "secrets" {
  for_each   = nonsensitive(toset(keys(module.manifests.secrets)))
  manifest   = jsondecode(module.manifests.secrets[each.key])
  depends_on = [kubernetes_manifest.namespace]
}

resource "kubernetes_manifest" "objects" {
  for_each = module.manifests.objects
  manifest = jsondecode(each.value)
  # The API server fills in volumeClaimTemplates' defaults and status (immutable anyway).
  computed_fields = ["metadata.annotations", "metadata.labels", "spec.volumeClaimTemplates"]
  # The stores first: zones and gateways connect at start.
  depends_on = [kubernetes_manifest.namespace, helm_release.valkey, helm_release.scylla]
}

# The gateways' LoadBalancer addresses, read back once their Services exist.
data "kubernetes_service_v1" "gateway" {
  for_each = { for g in module.manifests.gateways : g.pod => g }
  metadata {
    name      = each.key
    namespace = var.namespace
  }
  depends_on = [kubernetes_manifest.objects]
}
