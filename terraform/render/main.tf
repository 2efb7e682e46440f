# Renders the module's Kubernetes objects offline: a root with no provider, calling only the
# provider-free manifests module, so `terraform init && terraform apply` need no network.
#   terraform apply -auto-approve -var-file=samples/base.tfvars.json [-var-file=samples/scylla.tfvars.json]
#   terraform output -json objects
# terraform/validate.sh does this for each sample and checks what comes out.
terraform {
  required_version = ">= 1.0.3"
}

variable "settings" {
  description = "Every input of the root module (see ../variables.tf), as one object."
  type        = any
}

variable "overrides" {
  description = "Attributes replacing those of settings (a second sample on top of the first)."
  type        = any
  default     = {}
}

module "manifests" {
  source   = "../modules/manifests"
  settings = merge(var.settings, var.overrides)
}

output "namespace" {
  description = "The Namespace object (JSON)."
  value       = module.manifests.namespace
}

output "secrets" {
  description = "The Secret objects (JSON), keyed by KIND/NAMESPACE/NAME."
  value       = module.manifests.secrets
  sensitive   = true
}

output "objects" {
  description = "Every other object (JSON), keyed by KIND/NAMESPACE/NAME."
  value       = module.manifests.objects
}

output "valkey_values" {
  description = "Values of the Valkey chart (YAML)."
  value       = module.manifests.valkey_values
}

output "scylla_values" {
  description = "Values of the scylla chart (YAML; empty for a Redis durable store)."
  value       = module.manifests.scylla_values
}

output "gateways" {
  description = "Per gateway: ordinal, pod, host, public_url, public_quic."
  value       = module.manifests.gateways
}

output "play_url" {
  description = "The page players open."
  value       = module.manifests.play_url
}

output "dashboard_url" {
  description = "The coordinators' dashboard (in-cluster URL)."
  value       = module.manifests.dashboard_url
}
