# The stores' charts (their values come from modules/manifests/datastores.tf): Valkey always
# (hot state, and the durable store when durable_store = redis); the Scylla Operator and a
# ScyllaCluster when durable_store = scylla.
locals {
  scylla_charts = "https://scylla-operator-charts.storage.googleapis.com/stable"
  scylla        = var.durable_store == "scylla"
}

resource "helm_release" "valkey" {
  name       = "mmo-valkey"
  repository = "https://valkey.io/valkey-helm/"
  chart      = "valkey"
  version    = var.valkey_chart_version
  namespace  = var.namespace
  values     = [module.manifests.valkey_values]
  wait       = true
  depends_on = [kubernetes_manifest.secrets] # its password is in mmo-secrets
}

resource "helm_release" "scylla_operator" {
  count            = local.scylla ? 1 : 0
  name             = "scylla-operator"
  repository       = local.scylla_charts
  chart            = "scylla-operator"
  version          = var.scylla_operator_chart_version
  namespace        = "scylla-operator"
  create_namespace = true
  wait             = true
}

resource "helm_release" "scylla" {
  count            = local.scylla ? 1 : 0
  name             = "mmo-scylla"
  repository       = local.scylla_charts
  chart            = "scylla"
  version          = var.scylla_chart_version
  namespace        = var.scylla_namespace
  create_namespace = true
  values           = [module.manifests.scylla_values]
  wait             = true
  timeout          = 1200 # Scylla nodes join one at a time
  depends_on       = [helm_release.scylla_operator]
}
