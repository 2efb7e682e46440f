output "play_url" {
  description = "The page players open (gateway 0's; every gateway serves it and /api/connect hands out one with room)."
  value       = module.manifests.play_url
}

output "dashboard_url" {
  description = "The coordinators' dashboard inside the cluster; from outside: kubectl -n NAMESPACE port-forward svc/mmo-coordinator 8090, then http://127.0.0.1:8090/dashboard."
  value       = module.manifests.dashboard_url
}

output "gateway_addresses" {
  description = "Per gateway: its public URL and QUIC address, its LoadBalancer Service and the address the load balancer got (point the gateway's DNS name there; empty until the cloud assigned it: run terraform refresh)."
  value = [for g in module.manifests.gateways : merge(g, {
    service = "${var.namespace}/${g.pod}"
    load_balancer = try(
      coalesce(
        data.kubernetes_service_v1.gateway[g.pod].status[0].load_balancer[0].ingress[0].hostname,
        data.kubernetes_service_v1.gateway[g.pod].status[0].load_balancer[0].ingress[0].ip,
      ),
      "",
    )
  })]
}

output "namespace" {
  description = "The namespace of the world."
  value       = var.namespace
}
