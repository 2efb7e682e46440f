# Gateways: a StatefulSet (gateway id from the ordinal, as zones) where every pod has its own
# public address, since a WebTransport session stays on one gateway: one LoadBalancer Service
# per pod, selecting it by its pod name, with the UDP (QUIC) and TCP (HTTPS, WebSocket) port.
locals {
  tls      = local.s.gateway_tls_secret_name != ""
  tls_dir  = "/etc/mmo/tls"
  port_sfx = local.s.gateway_public_port == 443 ? "" : ":${local.s.gateway_public_port}"
  # The gateway binary replaces the literal "{ordinal}" in MMO_PUBLIC_URL and MMO_PUBLIC_QUIC
  # with its own ordinal (the pod template is shared, so the env cannot hold the number).
  gateway_public_url  = "${local.tls ? "https" : "http"}://${local.s.gateway_public_host}${local.port_sfx}"
  gateway_public_quic = "${local.s.gateway_public_host}:${local.s.gateway_public_port}"
  gateways = [for i in range(local.s.gateway_replicas) : {
    ordinal     = i
    pod         = "mmo-gateway-${i}"
    host        = replace(local.s.gateway_public_host, "{ordinal}", tostring(i))
    public_url  = "${replace(local.gateway_public_url, "{ordinal}", tostring(i))}/"
    public_quic = replace(local.gateway_public_quic, "{ordinal}", tostring(i))
  }]

  gateway_workload = {
    image   = "${local.s.image_registry}/mmo-gateway:${local.s.image_tag}"
    command = []
    args    = []
    env = concat(local.member_env, [
      { name = "MMO_GATEWAY_ORDINAL", valueFrom = local.ordinal_from },
      { name = "MMO_HTTP", value = "0.0.0.0:${local.ports.gateway_http}" },
      { name = "MMO_QUIC", value = "0.0.0.0:${local.ports.gateway_quic}" },
      { name = "MMO_QUIC_VALIDATION", value = local.s.gateway_quic_validation },
      { name = "MMO_PUBLIC_URL", value = local.gateway_public_url },
      { name = "MMO_PUBLIC_QUIC", value = local.gateway_public_quic },
      { name = "MMO_CLIENT_DIR", value = local.s.client_dir },
      { name = "MMO_MAX_SESSIONS", value = tostring(local.s.gateway_max_sessions) },
      { name = "MMO_TOKEN_KEY", valueFrom = local.secret_env.token_key },
      { name = "MMO_TOKEN_TTL_SECS", value = tostring(local.s.token_ttl_secs) },
      { name = "MMO_DRAIN_TIMEOUT_SECS", value = tostring(local.s.gateway_drain_timeout_secs) },
      ], [for f in(local.tls ? ["CERT", "KEY"] : []) :
      { name = "MMO_TLS_${f}", value = "${local.tls_dir}/tls.${lower(f) == "cert" ? "crt" : "key"}" }
    ])
    ports = [
      { name = "http", containerPort = local.ports.gateway_http, protocol = "TCP" },
      { name = "quic", containerPort = local.ports.gateway_quic, protocol = "UDP" },
    ]
    # With a certificate the gateway serves HTTPS on its http port (probes included).
    scheme         = local.tls ? "HTTPS" : "HTTP"
    liveness_path  = "/livez"
    readiness_path = "/readyz"
    grace          = local.s.gateway_drain_timeout_secs + 10
    volumes = [for s in compact([local.s.gateway_tls_secret_name]) :
    { name = "tls", secret = { secretName = s, defaultMode = 288 } }] # 0440
    mounts = [for s in compact([local.s.gateway_tls_secret_name]) :
    { name = "tls", mountPath = local.tls_dir, readOnly = true }]
    replicas = local.s.gateway_replicas
    claims   = []
  }

  gateway_service_ports = [
    { name = "https", port = local.s.gateway_public_port, targetPort = "http", protocol = "TCP" },
    { name = "quic", port = local.s.gateway_public_port, targetPort = "quic", protocol = "UDP" },
  ]

  # One LoadBalancer Service per gateway pod (the StatefulSet, its headless Service and its
  # PodDisruptionBudget are made in workloads.tf).
  gateway_lb_objects = [for g in local.gateways : {
    apiVersion = "v1"
    kind       = "Service"
    metadata = merge(local.meta.gateway, {
      name        = g.pod
      annotations = local.s.gateway_service_annotations
    })
    spec = {
      type                  = "LoadBalancer"
      externalTrafficPolicy = "Local" # keeps the players' source addresses (QUIC Retry)
      selector              = { "statefulset.kubernetes.io/pod-name" = g.pod }
      ports                 = local.gateway_service_ports
    }
  }]
}
