# The stores: the Secret every service reads its secrets from, the store URLs the zones and
# gateways are given, and the values of the two charts the root module installs (Valkey for
# hot state, and for the durable store either the same Valkey or a Scylla cluster made by the
# Scylla Operator).
locals {
  valkey_name = "mmo-valkey"
  scylla_name = "mmo-scylla"
  # The password comes from the Secret through env var expansion ($(VAR) of an earlier entry).
  valkey_url = "redis://:$(VALKEY_PASSWORD)@${local.valkey_name}.${local.svc}:6379"
  scylla_url = "scylla://${local.scylla_name}-client.${local.s.scylla_namespace}.svc.${local.domain}:9042/${local.s.scylla_keyspace}"
  scylla     = local.s.durable_store == "scylla"

  store_env = [
    { name = "VALKEY_PASSWORD", valueFrom = local.secret_env.valkey_password },
    { name = "MMO_DURABLE", value = local.scylla ? local.scylla_url : local.valkey_url },
    { name = "MMO_HOT", value = local.scylla ? local.valkey_url : "durable" },
  ]

  secret_object = {
    apiVersion = "v1"
    kind       = "Secret"
    metadata   = { name = "mmo-secrets", namespace = local.ns, labels = { "app.kubernetes.io/part-of" = "mmo" } }
    type       = "Opaque"
    data = {
      "token-key"       = base64encode(local.s.token_key)
      "api-token"       = base64encode(local.s.api_token)
      "valkey-password" = base64encode(local.s.valkey_password)
    }
  }

  # Values of the official Valkey chart (https://valkey.io/valkey-helm/): one primary with a
  # volume and an append-only file, the password from mmo-secrets.
  valkey_values = {
    fullnameOverride = local.valkey_name
    auth = {
      enabled             = true
      usersExistingSecret = "mmo-secrets"
      aclUsers            = { default = { permissions = "~* &* +@all", passwordKey = "valkey-password" } }
    }
    dataStorage = merge(
      { enabled = true, requestedSize = local.s.valkey_storage_size },
      { for k, v in { className = local.s.storage_class_name } : k => v if v != "" },
    )
    valkeyConfig = "appendonly yes\nappendfsync everysec\n"
    resources    = local.s.resources.valkey
  }

  # Values of the `scylla` chart (https://scylla-operator-charts.storage.googleapis.com/stable),
  # which makes the ScyllaCluster the Scylla Operator runs, in a namespace of its own (Scylla's
  # pods do not pass the restricted Pod Security level of ours).
  scylla_values = {
    fullnameOverride = local.scylla_name
    developerMode    = false
    datacenter       = local.s.scylla_datacenter
    racks = [{
      name      = "rack1"
      members   = local.s.scylla_members
      resources = local.s.resources.scylla
      storage = merge(
        { capacity = local.s.scylla_storage_size },
        { for k, v in { storageClassName = local.s.storage_class_name } : k => v if v != "" },
      )
    }]
  }
}
