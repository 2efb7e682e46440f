# Every object of the module, grouped as the root module applies them: the namespace first,
# then the Secret (the Valkey chart reads its password from it), then everything else.
locals {
  namespace_object = {
    apiVersion = "v1"
    kind       = "Namespace"
    metadata = {
      name = local.ns
      labels = {
        "app.kubernetes.io/part-of" = "mmo"
        # every pod of the module, and of the Valkey chart, passes the restricted level
        "pod-security.kubernetes.io/enforce" = local.s.pod_security_level
      }
    }
  }

  objects = concat(
    local.controller_objects,
    local.service_objects,
    local.pdb_objects,
    local.gateway_lb_objects,
    local.network_policy_objects,
    [local.dashboard_object],
  )
  keyed = { for group, list in { secrets = [local.secret_object], objects = local.objects } :
    group => { for o in list : "${o.kind}/${o.metadata.namespace}/${o.metadata.name}" => jsonencode(o) }
  }
}
