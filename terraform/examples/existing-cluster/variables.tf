variable "kubeconfig_path" {
  description = "The kubeconfig file."
  type        = string
  default     = "~/.kube/config"
}

variable "kubeconfig_context" {
  description = "The kubeconfig context of the cluster."
  type        = string
}

variable "image_registry" {
  description = "Where the mmo-zone, mmo-gateway and mmo-coordinator images are (e.g. ghcr.io/acme)."
  type        = string
}

variable "image_tag" {
  description = "The images' release tag."
  type        = string
}

variable "gateway_public_host" {
  description = "Public host of each gateway, with {ordinal} (e.g. gw-{ordinal}.play.example.com)."
  type        = string
}

variable "gateway_tls_secret_name" {
  description = "kubernetes.io/tls Secret in the namespace covering the gateway hosts (empty: development, no certificate)."
  type        = string
  default     = ""
}

variable "durable_store" {
  description = "redis or scylla."
  type        = string
  default     = "redis"
}

variable "token_key" {
  description = "Session token signing secret (at least 32 characters)."
  type        = string
  sensitive   = true
}

variable "api_token" {
  description = "Bearer token of the coordinators' mutating API."
  type        = string
  sensitive   = true
}

variable "valkey_password" {
  description = "Valkey password (16 to 128 letters and digits)."
  type        = string
  sensitive   = true
}
