# Inputs of the module. Every one is passed to modules/manifests as one `settings` object
# (main.tf); terraform/render/samples/base.tfvars.json sets every one (a test checks).

# --- Cluster and namespace ---------------------------------------------------------------

variable "namespace" {
  description = "Namespace of every object of the world (etcd, Valkey, zones, gateways, coordinators)."
  type        = string
  default     = "mmo"
  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.namespace))
    error_message = "The namespace must be a DNS label (lower case letters, digits, '-')."
  }
}

variable "create_namespace" {
  description = "Create the namespace (labelled with its Pod Security level); false: it exists."
  type        = bool
  default     = true
}

variable "pod_security_level" {
  description = "Pod Security Admission level enforced on the namespace when it is created."
  type        = string
  default     = "restricted"
  validation {
    condition     = contains(["restricted", "baseline", "privileged"], var.pod_security_level)
    error_message = "The level must be restricted, baseline or privileged."
  }
}

variable "cluster_domain" {
  description = "The cluster's DNS domain (service names are NAME.NAMESPACE.svc.DOMAIN)."
  type        = string
  default     = "cluster.local"
}

variable "extra_labels" {
  description = "Labels added to every workload object (beside the app.kubernetes.io/* ones)."
  type        = map(string)
  default     = {}
}

variable "storage_class_name" {
  description = "StorageClass of the volumes (etcd, Valkey, Scylla); empty: the cluster's default."
  type        = string
  default     = ""
}

variable "metrics_namespace" {
  description = "Namespace whose pods (Prometheus) may reach every /metrics port through the NetworkPolicies."
  type        = string
  default     = "monitoring"
}

variable "grafana_dashboard_namespace" {
  description = "Namespace of the Grafana dashboard ConfigMap; empty: var.namespace."
  type        = string
  default     = ""
}

# --- The world ---------------------------------------------------------------------------

variable "world" {
  description = "The world's name: its etcd keys live under /mmo/<world>/ (MMO_WORLD)."
  type        = string
  default     = "main"
  validation {
    condition     = can(regex("^[a-z0-9][-a-z0-9]{0,30}$", var.world))
    error_message = "The world's name must be lower case letters, digits and '-' (up to 31)."
  }
}

variable "world_size" {
  description = "World size in cells, WIDTHxHEIGHT, 1 to 256 each (MMO_WORLD_SIZE)."
  type        = string
  default     = "8x4"
  validation {
    condition     = can(regex("^([1-9][0-9]{0,2})x([1-9][0-9]{0,2})$", var.world_size)) && alltrue([for n in split("x", var.world_size) : tonumber(n) <= 256])
    error_message = "The world size must be WIDTHxHEIGHT with 1 to 256 each, e.g. 8x4."
  }
}

variable "cell_tiles" {
  description = "Tiles per cell side (MMO_CELL_TILES)."
  type        = number
  default     = 128
  validation {
    condition     = var.cell_tiles >= 16 && var.cell_tiles <= 1024 && floor(var.cell_tiles) == var.cell_tiles
    error_message = "cell_tiles must be a whole number from 16 to 1024."
  }
}

variable "seed" {
  description = "Terrain seed (MMO_SEED)."
  type        = number
  default     = 42
  validation {
    condition     = var.seed >= 0 && floor(var.seed) == var.seed
    error_message = "The seed must be a whole number >= 0."
  }
}

variable "tick_ms" {
  description = "Simulation tick in milliseconds (MMO_TICK_MS)."
  type        = number
  default     = 50
  validation {
    condition     = var.tick_ms >= 10 && var.tick_ms <= 1000
    error_message = "tick_ms must be from 10 to 1000."
  }
}

variable "lease_ttl_secs" {
  description = "Registry lease TTL of zones and gateways (MMO_LEASE_TTL) and the coordinators' leader TTL (MMO_LEADER_TTL_SECS): how long a dead member holds its place."
  type        = number
  default     = 3
  validation {
    condition     = var.lease_ttl_secs >= 2 && var.lease_ttl_secs <= 60
    error_message = "lease_ttl_secs must be from 2 (etcd's minimum) to 60."
  }
}

# --- Images ------------------------------------------------------------------------------

variable "image_registry" {
  description = "Registry path of the images mmo-zone, mmo-gateway and mmo-coordinator (e.g. ghcr.io/acme)."
  type        = string
  validation {
    condition     = length(var.image_registry) > 0 && !can(regex("/$", var.image_registry))
    error_message = "image_registry must be set, without a trailing '/'."
  }
}

variable "image_tag" {
  description = "Tag of the three images (one release of the binaries)."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag)) && var.image_tag != "latest"
    error_message = "image_tag must be a valid tag, and not 'latest' (pin a release)."
  }
}

variable "image_pull_policy" {
  description = "imagePullPolicy of every container."
  type        = string
  default     = "Always"
  validation {
    condition     = contains(["Always", "IfNotPresent"], var.image_pull_policy)
    error_message = "image_pull_policy must be Always or IfNotPresent."
  }
}

variable "client_dir" {
  description = "Folder of the built browser client inside the gateway and coordinator images (MMO_CLIENT_DIR)."
  type        = string
  default     = "/srv/client"
}

variable "resources" {
  description = "Requests and limits (cpu, memory) per container: etcd, zone, gateway, coordinator, valkey, scylla."
  type = map(object({
    requests = map(string)
    limits   = map(string)
  }))
  default = {
    etcd        = { requests = { cpu = "250m", memory = "512Mi" }, limits = { cpu = "1", memory = "1Gi" } }
    zone        = { requests = { cpu = "1", memory = "512Mi" }, limits = { cpu = "2", memory = "1Gi" } }
    gateway     = { requests = { cpu = "1", memory = "512Mi" }, limits = { cpu = "2", memory = "1Gi" } }
    coordinator = { requests = { cpu = "100m", memory = "128Mi" }, limits = { cpu = "500m", memory = "256Mi" } }
    valkey      = { requests = { cpu = "250m", memory = "512Mi" }, limits = { cpu = "1", memory = "1Gi" } }
    scylla      = { requests = { cpu = "2", memory = "8Gi" }, limits = { cpu = "2", memory = "8Gi" } }
  }
  validation {
    condition = alltrue([for c in ["etcd", "zone", "gateway", "coordinator", "valkey", "scylla"] :
    contains(keys(var.resources), c) && alltrue([for r in ["cpu", "memory"] : contains(keys(var.resources[c].requests), r) && contains(keys(var.resources[c].limits), r)])])
    error_message = "resources needs etcd, zone, gateway, coordinator, valkey and scylla, each with cpu and memory in requests and limits."
  }
}

# --- etcd --------------------------------------------------------------------------------

variable "etcd_image" {
  description = "The official etcd image, pinned (IMAGE:TAG)."
  type        = string
  default     = "quay.io/coreos/etcd:v3.5.17"
  validation {
    condition     = can(regex("^[^:]+:v?[0-9]+\\.[0-9]+\\.[0-9]+", var.etcd_image))
    error_message = "etcd_image must name a version tag, e.g. quay.io/coreos/etcd:v3.5.17."
  }
}

variable "etcd_replicas" {
  description = "etcd members (odd: 3 keeps a quorum through one lost member)."
  type        = number
  default     = 3
  validation {
    condition     = contains([1, 3, 5], var.etcd_replicas)
    error_message = "etcd_replicas must be 1, 3 or 5."
  }
}

variable "etcd_storage_size" {
  description = "Volume size of each etcd member."
  type        = string
  default     = "10Gi"
  validation {
    condition     = can(regex("^[0-9]+(Mi|Gi|Ti)$", var.etcd_storage_size))
    error_message = "etcd_storage_size must be a quantity such as 10Gi."
  }
}

# --- Stores ------------------------------------------------------------------------------

variable "durable_store" {
  description = "Durable store of accounts and player records: redis (the module's Valkey, also hot state) or scylla (a ScyllaCluster through the Scylla Operator; Valkey keeps hot state)."
  type        = string
  default     = "redis"
  validation {
    condition     = contains(["redis", "scylla"], var.durable_store)
    error_message = "durable_store must be redis or scylla."
  }
}

variable "valkey_chart_version" {
  description = "Version of the Valkey chart (https://valkey.io/valkey-helm/)."
  type        = string
  default     = "1.0.0"
}

variable "valkey_storage_size" {
  description = "Volume size of Valkey."
  type        = string
  default     = "8Gi"
  validation {
    condition     = can(regex("^[0-9]+(Mi|Gi|Ti)$", var.valkey_storage_size))
    error_message = "valkey_storage_size must be a quantity such as 8Gi."
  }
}

variable "scylla_operator_chart_version" {
  description = "Version of the scylla-operator chart (used when durable_store = scylla)."
  type        = string
  default     = "v1.19.0"
}

variable "scylla_chart_version" {
  description = "Version of the scylla chart that makes the ScyllaCluster (used when durable_store = scylla)."
  type        = string
  default     = "v1.19.0"
}

variable "scylla_namespace" {
  description = "Namespace of the ScyllaCluster (its own: Scylla's pods do not pass the restricted Pod Security level)."
  type        = string
  default     = "mmo-scylla"
}

variable "scylla_datacenter" {
  description = "Scylla datacenter name."
  type        = string
  default     = "dc1"
}

variable "scylla_members" {
  description = "Scylla nodes."
  type        = number
  default     = 3
  validation {
    condition     = var.scylla_members >= 1
    error_message = "scylla_members must be at least 1."
  }
}

variable "scylla_storage_size" {
  description = "Volume size of each Scylla node."
  type        = string
  default     = "100Gi"
}

variable "scylla_keyspace" {
  description = "Scylla keyspace of the player store (in MMO_DURABLE=scylla://HOST:PORT/KEYSPACE)."
  type        = string
  default     = "mmo"
  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,47}$", var.scylla_keyspace))
    error_message = "The keyspace must be lower case letters, digits and '_', starting with a letter."
  }
}

# --- Zones -------------------------------------------------------------------------------

variable "zone_replicas" {
  description = "Zone servers (zone ids 1..N, from the pod ordinals)."
  type        = number
  default     = 4
  validation {
    condition     = var.zone_replicas >= 1 && var.zone_replicas <= 1000
    error_message = "zone_replicas must be from 1 to 1000."
  }
}

variable "zone_npcs_per_cell" {
  description = "NPCs spawned in each cell a zone takes fresh (MMO_NPCS_PER_CELL)."
  type        = number
  default     = 6
}

variable "zone_capacity" {
  description = "Entities each zone is sized for (MMO_CAPACITY)."
  type        = number
  default     = 2000
}

variable "zone_drain_timeout_secs" {
  description = "How long a zone drains its cells on SIGTERM (MMO_DRAIN_TIMEOUT_SECS); terminationGracePeriodSeconds is 15 s longer."
  type        = number
  default     = 25
  validation {
    condition     = var.zone_drain_timeout_secs >= 1 && var.zone_drain_timeout_secs <= 3600
    error_message = "zone_drain_timeout_secs must be from 1 to 3600."
  }
}

# --- Gateways ----------------------------------------------------------------------------

variable "gateway_replicas" {
  description = "Gateways; each gets its own LoadBalancer Service (public UDP + TCP address)."
  type        = number
  default     = 2
  validation {
    condition     = var.gateway_replicas >= 1 && var.gateway_replicas <= 100
    error_message = "gateway_replicas must be from 1 to 100."
  }
}

variable "gateway_public_host" {
  description = "Public host name of each gateway, with the literal placeholder {ordinal} for its ordinal (gw-{ordinal}.play.example.com names gw-0..., gw-1...); point each name at that gateway's LoadBalancer address."
  type        = string
  validation {
    condition     = can(regex("^([a-z0-9{}]([-a-z0-9{}]*[a-z0-9}])?\\.)+[a-z]{2,}$", var.gateway_public_host)) && length(regexall("\\{ordinal\\}", var.gateway_public_host)) == 1
    error_message = "gateway_public_host must be a DNS name containing {ordinal} once, e.g. gw-{ordinal}.play.example.com."
  }
}

variable "gateway_public_port" {
  description = "Public port of every gateway, the same for TCP (HTTPS, WebSocket) and UDP (QUIC)."
  type        = number
  default     = 443
  validation {
    condition     = var.gateway_public_port >= 1 && var.gateway_public_port <= 65535
    error_message = "gateway_public_port must be a port number."
  }
}

variable "gateway_tls_secret_name" {
  description = "A kubernetes.io/tls Secret in the namespace (e.g. made by cert-manager) whose certificate covers every gateway host; empty: no certificate (development: the gateway makes its own self-signed one and serves plain HTTP)."
  type        = string
  default     = ""
}

variable "gateway_service_annotations" {
  description = "Annotations of every gateway LoadBalancer Service (cloud load balancer settings, e.g. an AWS NLB)."
  type        = map(string)
  default     = {}
}

variable "gateway_quic_validation" {
  description = "QUIC address validation (MMO_QUIC_VALIDATION): retry, or off behind a proxy that validates addresses."
  type        = string
  default     = "retry"
  validation {
    condition     = contains(["retry", "off"], var.gateway_quic_validation)
    error_message = "gateway_quic_validation must be retry or off."
  }
}

variable "gateway_max_sessions" {
  description = "Sessions per gateway (MMO_MAX_SESSIONS)."
  type        = number
  default     = 1000
}

variable "gateway_drain_timeout_secs" {
  description = "How long a gateway drains on SIGTERM (MMO_DRAIN_TIMEOUT_SECS: no new logins, clients asked to reconnect elsewhere); terminationGracePeriodSeconds is 10 s longer."
  type        = number
  default     = 25
  validation {
    condition     = var.gateway_drain_timeout_secs >= 1 && var.gateway_drain_timeout_secs <= 3600
    error_message = "gateway_drain_timeout_secs must be from 1 to 3600."
  }
}

variable "token_ttl_secs" {
  description = "How long a session token is valid (MMO_TOKEN_TTL_SECS)."
  type        = number
  default     = 900
}

# --- Coordinators ------------------------------------------------------------------------

variable "coordinator_replicas" {
  description = "Coordinator replicas (one leads, elected through etcd)."
  type        = number
  default     = 2
  validation {
    condition     = var.coordinator_replicas >= 1 && var.coordinator_replicas <= 5
    error_message = "coordinator_replicas must be from 1 to 5 (2 or more for a standby)."
  }
}

variable "coordinator_rebalance" {
  description = "on: the coordinator moves cells by load; off: only operators do (MMO_REBALANCE)."
  type        = string
  default     = "on"
  validation {
    condition     = contains(["on", "off"], var.coordinator_rebalance)
    error_message = "coordinator_rebalance must be on or off."
  }
}

# --- Secrets (stored in the mmo-secrets Secret, and in the Terraform state) ----------------

variable "token_key" {
  description = "Secret signing session tokens, shared by every gateway (MMO_TOKEN_KEY), at least 32 bytes."
  type        = string
  sensitive   = true
  validation {
    condition     = length(var.token_key) >= 32
    error_message = "token_key must be at least 32 characters."
  }
}

variable "api_token" {
  description = "Bearer token the coordinators' mutating API requires (MMO_API_TOKEN), at least 16 characters."
  type        = string
  sensitive   = true
  validation {
    condition     = length(var.api_token) >= 16
    error_message = "api_token must be at least 16 characters."
  }
}

variable "valkey_password" {
  description = "Password of Valkey's default user, 16 to 128 letters and digits (it is part of the redis:// URL)."
  type        = string
  sensitive   = true
  validation {
    condition     = can(regex("^[A-Za-z0-9]{16,128}$", var.valkey_password))
    error_message = "valkey_password must be 16 to 128 letters and digits."
  }
}
