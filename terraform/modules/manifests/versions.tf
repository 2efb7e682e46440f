# Provider-free on purpose: this module only computes the Kubernetes objects, so that
# terraform/render (and terraform/validate.sh) can render them offline, with no provider to
# download. The root module applies them with kubernetes_manifest.
terraform {
  required_version = ">= 1.0.3"
}
