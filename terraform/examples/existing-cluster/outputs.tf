output "play_url" {
  description = "The page players open."
  value       = module.mmo.play_url
}

output "dashboard_url" {
  description = "The coordinators' dashboard (in-cluster; kubectl port-forward from outside)."
  value       = module.mmo.dashboard_url
}

output "gateway_addresses" {
  description = "Per gateway: public URL, QUIC address, Service and load balancer address (for DNS)."
  value       = module.mmo.gateway_addresses
}
