output "namespace" {
  description = "The Namespace object, as JSON (the root module creates it when asked to)."
  value       = jsonencode(local.namespace_object)
}

output "secrets" {
  description = "The Secret objects, as JSON, keyed by KIND/NAMESPACE/NAME."
  value       = local.keyed.secrets
  sensitive   = true
}

output "objects" {
  description = "Every other object, as JSON, keyed by KIND/NAMESPACE/NAME."
  value       = local.keyed.objects
}

output "valkey_values" {
  description = "Values of the Valkey chart, as YAML."
  value       = yamlencode(local.valkey_values)
}

output "scylla_values" {
  description = "Values of the scylla chart (empty when the durable store is Redis)."
  value       = local.scylla ? yamlencode(local.scylla_values) : ""
}

output "gateways" {
  description = "Per gateway: ordinal, pod (and its LoadBalancer Service's) name, host, public_url, public_quic."
  value       = local.gateways
}

output "play_url" {
  description = "The page players open (any gateway serves it; /api/connect picks one with room)."
  value       = local.gateways[0].public_url
}

output "dashboard_url" {
  description = "The coordinators' dashboard, inside the cluster (kubectl port-forward from outside)."
  value       = "http://mmo-coordinator.${local.svc}:${local.ports.coord_http}/dashboard"
}
