# What every workload shares: names, labels, ports, the pod security settings, probes,
# Prometheus annotations, and the one pod template builder the four workloads go through.
locals {
  s         = var.settings
  ns        = local.s.namespace
  domain    = local.s.cluster_domain
  svc       = "${local.ns}.svc.${local.domain}" # suffix of in-cluster service names
  uid       = 65532                             # the images' non-root user (distroless "nonroot")
  tmp_mount = { name = "tmp", mountPath = "/tmp" }

  # Container ports: fixed, since only Services and env vars name them.
  ports = {
    etcd_client  = 2379
    etcd_peer    = 2380
    etcd_metrics = 2381
    zone_link    = 7000
    zone_http    = 8081
    gateway_http = 8443
    gateway_quic = 4433
    coord_http   = 8090
  }

  # app.kubernetes.io/* labels; `selector_labels` are the stable subset a selector may use.
  selector_labels = { for c in ["etcd", "zone", "gateway", "coordinator"] : c => {
    "app.kubernetes.io/name"      = "mmo-${c}"
    "app.kubernetes.io/instance"  = local.s.world
    "app.kubernetes.io/component" = c
    "app.kubernetes.io/part-of"   = "mmo"
  } }
  labels = { for c, sel in local.selector_labels : c => merge(local.s.extra_labels, sel, {
    "app.kubernetes.io/managed-by" = "terraform"
    "app.kubernetes.io/version"    = c == "etcd" ? element(split(":", local.s.etcd_image), 1) : local.s.image_tag
  }) }
  meta = { for c, l in local.labels : c => { name = "mmo-${c}", namespace = local.ns, labels = l } }

  pod_security = {
    runAsNonRoot        = true
    runAsUser           = local.uid
    runAsGroup          = local.uid
    fsGroup             = local.uid
    fsGroupChangePolicy = "OnRootMismatch"
    seccompProfile      = { type = "RuntimeDefault" }
  }
  container_security = {
    runAsNonRoot             = true
    runAsUser                = local.uid
    runAsGroup               = local.uid
    allowPrivilegeEscalation = false
    readOnlyRootFilesystem   = true
    privileged               = false
    capabilities             = { drop = ["ALL"] }
    seccompProfile           = { type = "RuntimeDefault" }
  }

  # Each component file defines local.<component>_workload with: image, command (list, may be
  # empty), args, env, ports (container ports; the one named "http" serves probes and
  # /metrics), scheme, liveness/readiness paths, grace (seconds), volumes and mounts beside
  # /tmp.
  workloads = {
    etcd        = local.etcd_workload
    zone        = local.zone_workload
    gateway     = local.gateway_workload
    coordinator = local.coordinator_workload
  }

  pod_templates = { for c, w in local.workloads : c => {
    metadata = {
      labels = local.labels[c]
      annotations = {
        "prometheus.io/scrape" = "true"
        "prometheus.io/port"   = tostring([for p in w.ports : p.containerPort if p.name == "http"][0])
        "prometheus.io/path"   = "/metrics"
        "prometheus.io/scheme" = lower(w.scheme)
      }
    }
    spec = {
      automountServiceAccountToken  = false
      enableServiceLinks            = false
      securityContext               = local.pod_security
      terminationGracePeriodSeconds = w.grace
      affinity = {
        podAntiAffinity = {
          preferredDuringSchedulingIgnoredDuringExecution = [{
            weight = 100
            podAffinityTerm = {
              topologyKey   = "kubernetes.io/hostname"
              labelSelector = { matchLabels = local.selector_labels[c] }
            }
          }]
        }
      }
      containers = [merge(
        {
          name            = c
          image           = w.image
          imagePullPolicy = local.s.image_pull_policy
          env             = w.env
          ports           = w.ports
          resources       = local.s.resources[c]
          securityContext = local.container_security
          volumeMounts    = concat([local.tmp_mount], w.mounts)
          livenessProbe = {
            httpGet          = { path = w.liveness_path, port = "http", scheme = w.scheme }
            periodSeconds    = 10
            timeoutSeconds   = 3
            failureThreshold = 6
          }
          readinessProbe = {
            httpGet          = { path = w.readiness_path, port = "http", scheme = w.scheme }
            periodSeconds    = 5
            timeoutSeconds   = 3
            failureThreshold = 3
          }
        },
        { for k, v in { command = w.command, args = w.args } : k => v if length(v) > 0 },
      )]
      volumes = concat([{ name = "tmp", emptyDir = { sizeLimit = "64Mi" } }], w.volumes)
    }
  } }

  # Env vars every zone and gateway takes (coordinators take a subset, see coordinators.tf).
  etcd_endpoints = join(",", [for i in range(local.s.etcd_replicas) :
  "http://mmo-etcd-${i}.mmo-etcd.${local.svc}:${local.ports.etcd_client}"])
  registry_env = [
    { name = "MMO_ETCD", value = local.etcd_endpoints },
    { name = "MMO_WORLD", value = local.s.world },
    { name = "MMO_WORLD_SIZE", value = local.s.world_size },
    { name = "MMO_CELL_TILES", value = tostring(local.s.cell_tiles) },
  ]
  member_env = concat(local.registry_env, local.store_env, [
    { name = "MMO_LEASE_TTL", value = tostring(local.s.lease_ttl_secs) },
    { name = "MMO_SEED", value = tostring(local.s.seed) },
    { name = "MMO_TICK_MS", value = tostring(local.s.tick_ms) },
  ])
  # The ordinal of a StatefulSet pod, from the label Kubernetes (1.28+) sets on it.
  ordinal_from = { fieldRef = { fieldPath = "metadata.labels['apps.kubernetes.io/pod-index']" } }
  secret_env = { for name, key in {
    token_key = "token-key", api_token = "api-token", valkey_password = "valkey-password"
  } : name => { secretKeyRef = { name = "mmo-secrets", key = key } } }

  # Pods that are members of the cluster (reach etcd, the zone links, the coordinator API).
  members_of = { for set_name, components in {
    all          = ["zone", "gateway", "coordinator"]
    zone_link    = ["zone", "gateway"]
    etcd_members = ["etcd"]
    } : set_name => { podSelector = { matchExpressions = [
      { key = "app.kubernetes.io/part-of", operator = "In", values = ["mmo"] },
      { key = "app.kubernetes.io/instance", operator = "In", values = [local.s.world] },
      { key = "app.kubernetes.io/component", operator = "In", values = components },
  ] } } }
  metrics_scrapers = { namespaceSelector = { matchLabels = {
    "kubernetes.io/metadata.name" = local.s.metrics_namespace
  } } }
}
