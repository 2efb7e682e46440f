# A world on a cluster that already exists, reached through a kubeconfig context.
#   terraform init
#   terraform apply -var kubeconfig_context=my-cluster -var image_registry=ghcr.io/acme \
#     -var image_tag=0.1.0 -var 'gateway_public_host=gw-{ordinal}.play.example.com' \
#     -var gateway_tls_secret_name=play-example-com-tls
# with the secrets in the environment: TF_VAR_token_key, TF_VAR_api_token, TF_VAR_valkey_password.
provider "kubernetes" {
  config_path    = var.kubeconfig_path
  config_context = var.kubeconfig_context
}

provider "helm" {
  kubernetes {
    config_path    = var.kubeconfig_path
    config_context = var.kubeconfig_context
  }
}

module "mmo" {
  source = "../.."

  image_registry          = var.image_registry
  image_tag               = var.image_tag
  gateway_public_host     = var.gateway_public_host
  gateway_tls_secret_name = var.gateway_tls_secret_name
  durable_store           = var.durable_store
  token_key               = var.token_key
  api_token               = var.api_token
  valkey_password         = var.valkey_password
}
