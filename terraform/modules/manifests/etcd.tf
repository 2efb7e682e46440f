# etcd: members (3 by default) from the official etcd image, each with its own volume. The
# StatefulSet, its headless Service and its PodDisruptionBudget are made in workloads.tf.
locals {
  etcd_peers = join(",", [for i in range(local.s.etcd_replicas) :
  "mmo-etcd-${i}=http://mmo-etcd-${i}.mmo-etcd.${local.svc}:${local.ports.etcd_peer}"])

  etcd_workload = {
    image   = local.s.etcd_image
    command = ["/usr/local/bin/etcd"]
    args = [
      "--name=$(POD_NAME)",
      "--data-dir=/var/lib/etcd/data",
      "--listen-client-urls=http://0.0.0.0:${local.ports.etcd_client}",
      "--advertise-client-urls=http://$(POD_NAME).mmo-etcd.${local.svc}:${local.ports.etcd_client}",
      "--listen-peer-urls=http://0.0.0.0:${local.ports.etcd_peer}",
      "--initial-advertise-peer-urls=http://$(POD_NAME).mmo-etcd.${local.svc}:${local.ports.etcd_peer}",
      "--listen-metrics-urls=http://0.0.0.0:${local.ports.etcd_metrics}",
      "--initial-cluster=${local.etcd_peers}",
      "--initial-cluster-token=mmo-${local.s.world}",
      "--initial-cluster-state=new",
      "--auto-compaction-mode=periodic",
      "--auto-compaction-retention=1h",
    ]
    env = [{ name = "POD_NAME", valueFrom = { fieldRef = { fieldPath = "metadata.name" } } }]
    ports = [
      { name = "client", containerPort = local.ports.etcd_client, protocol = "TCP" },
      { name = "peer", containerPort = local.ports.etcd_peer, protocol = "TCP" },
      { name = "http", containerPort = local.ports.etcd_metrics, protocol = "TCP" },
    ]
    scheme         = "HTTP"
    liveness_path  = "/health?serializable=true" # this member answers, quorum or not
    readiness_path = "/health"                   # ... and the cluster has a leader
    grace          = 30
    volumes        = []
    mounts         = [{ name = "data", mountPath = "/var/lib/etcd" }]
    replicas       = local.s.etcd_replicas
    claims = [{
      metadata = { name = "data", labels = local.selector_labels.etcd }
      spec = merge(
        { accessModes = ["ReadWriteOnce"], resources = { requests = { storage = local.s.etcd_storage_size } } },
        { for k, v in { storageClassName = local.s.storage_class_name } : k => v if v != "" },
      )
    }]
  }
}
