terraform {
  required_version = ">= 1.0.3"

  required_providers {
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "~> 2.36" # kubernetes_manifest with server-side apply
    }
    helm = {
      source  = "hashicorp/helm"
      version = "~> 2.17" # the `kubernetes {}` block syntax of the 2.x series
    }
  }
}
