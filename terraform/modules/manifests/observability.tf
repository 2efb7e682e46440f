# The Grafana dashboard, as a ConfigMap the Grafana sidecar picks up by its label
# (grafana_dashboard: "1"; kube-prometheus-stack's default). The pods carry prometheus.io/*
# scrape annotations (common.tf).
locals {
  dashboard_object = {
    apiVersion = "v1"
    kind       = "ConfigMap"
    metadata = {
      name      = "mmo-grafana-dashboard"
      namespace = local.s.grafana_dashboard_namespace == "" ? local.ns : local.s.grafana_dashboard_namespace
      labels    = merge(local.labels.coordinator, { grafana_dashboard = "1", "app.kubernetes.io/component" = "dashboard" })
    }
    data = { "mmo.json" = file("${path.module}/dashboards/mmo.json") }
  }
}
