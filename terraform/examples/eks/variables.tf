variable "region" {
  description = "AWS region."
  type        = string
  default     = "eu-west-1"
}

variable "azs" {
  description = "Availability zones of the VPC's subnets (three of var.region's)."
  type        = list(string)
  default     = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
}

variable "name" {
  description = "Name of the VPC and the EKS cluster."
  type        = string
  default     = "mmo"
}

variable "instance_type" {
  description = "EC2 instance type of the nodes."
  type        = string
  default     = "c6i.xlarge"
}

variable "image_registry" {
  description = "Where the mmo-zone, mmo-gateway and mmo-coordinator images are (e.g. an ECR registry)."
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
  description = "kubernetes.io/tls Secret in the namespace covering the gateway hosts (e.g. from cert-manager)."
  type        = string
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
