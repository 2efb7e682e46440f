# A world on a new EKS cluster: a VPC and the cluster from the terraform-aws-modules modules,
# the AWS Load Balancer Controller (the gateways' Network Load Balancers, TCP and UDP on one
# port) and the EBS CSI driver (etcd's and Valkey's volumes), then the module.
#
# The Kubernetes objects are planned against the cluster, so create the cluster first:
#   terraform init
#   terraform apply -target=module.eks -target=helm_release.aws_load_balancer_controller
#   terraform apply
provider "aws" {
  region = var.region
}

module "vpc" {
  #checkov:skip=CKV_TF_1:a registry module pinned to one exact version (the registry serves a version once); no git source to pin by hash
  source  = "terraform-aws-modules/vpc/aws"
  version = "5.21.0"

  name               = var.name
  cidr               = "10.0.0.0/16"
  azs                = var.azs
  private_subnets    = [for i, _ in var.azs : cidrsubnet("10.0.0.0/16", 4, i)]
  public_subnets     = [for i, _ in var.azs : cidrsubnet("10.0.0.0/16", 8, 48 + i)]
  enable_nat_gateway = true
  single_nat_gateway = true

  public_subnet_tags  = { "kubernetes.io/role/elb" = 1 }
  private_subnet_tags = { "kubernetes.io/role/internal-elb" = 1 }
}

module "eks" {
  #checkov:skip=CKV_TF_1:a registry module pinned to one exact version (the registry serves a version once); no git source to pin by hash
  source  = "terraform-aws-modules/eks/aws"
  version = "20.37.1"

  cluster_name                             = var.name
  cluster_version                          = "1.33" # 1.28+: pods carry their ordinal label
  vpc_id                                   = module.vpc.vpc_id
  subnet_ids                               = module.vpc.private_subnets
  cluster_endpoint_public_access           = true
  enable_cluster_creator_admin_permissions = true

  cluster_addons = {
    coredns                = {}
    kube-proxy             = {}
    vpc-cni                = { configuration_values = jsonencode({ enableNetworkPolicy = "true" }) }
    eks-pod-identity-agent = {}
    aws-ebs-csi-driver     = { pod_identity_association = [{ role_arn = module.ebs_csi_role.iam_role_arn, service_account = "ebs-csi-controller-sa" }] }
  }

  eks_managed_node_groups = {
    world = {
      instance_types = [var.instance_type]
      min_size       = 3
      max_size       = 8
      desired_size   = 4
    }
  }
}

module "ebs_csi_role" {
  #checkov:skip=CKV_TF_1:a registry module pinned to one exact version (the registry serves a version once); no git source to pin by hash
  source  = "terraform-aws-modules/eks-pod-identity/aws"
  version = "1.12.0"

  name                      = "${var.name}-ebs-csi"
  attach_aws_ebs_csi_policy = true
}

module "lb_controller_role" {
  #checkov:skip=CKV_TF_1:a registry module pinned to one exact version (the registry serves a version once); no git source to pin by hash
  source  = "terraform-aws-modules/eks-pod-identity/aws"
  version = "1.12.0"

  name                            = "${var.name}-lb-controller"
  attach_aws_lb_controller_policy = true
  associations = {
    controller = {
      cluster_name    = module.eks.cluster_name
      namespace       = "kube-system"
      service_account = "aws-load-balancer-controller"
    }
  }
}

provider "kubernetes" {
  host                   = module.eks.cluster_endpoint
  cluster_ca_certificate = base64decode(module.eks.cluster_certificate_authority_data)
  exec {
    api_version = "client.authentication.k8s.io/v1beta1"
    command     = "aws"
    args        = ["eks", "get-token", "--cluster-name", module.eks.cluster_name]
  }
}

provider "helm" {
  kubernetes {
    host                   = module.eks.cluster_endpoint
    cluster_ca_certificate = base64decode(module.eks.cluster_certificate_authority_data)
    exec {
      api_version = "client.authentication.k8s.io/v1beta1"
      command     = "aws"
      args        = ["eks", "get-token", "--cluster-name", module.eks.cluster_name]
    }
  }
}

resource "helm_release" "aws_load_balancer_controller" {
  name       = "aws-load-balancer-controller"
  repository = "https://aws.github.io/eks-charts"
  chart      = "aws-load-balancer-controller"
  version    = "1.13.3"
  namespace  = "kube-system"
  values = [yamlencode({
    clusterName    = module.eks.cluster_name
    region         = var.region
    vpcId          = module.vpc.vpc_id
    serviceAccount = { name = "aws-load-balancer-controller" }
  })]
  depends_on = [module.lb_controller_role]
}

module "mmo" {
  source = "../.."

  image_registry          = var.image_registry
  image_tag               = var.image_tag
  gateway_public_host     = var.gateway_public_host
  gateway_tls_secret_name = var.gateway_tls_secret_name
  durable_store           = var.durable_store
  storage_class_name      = "gp2"
  token_key               = var.token_key
  api_token               = var.api_token
  valkey_password         = var.valkey_password

  # One internet-facing NLB per gateway, targeting the pod IP, TCP and UDP on the same port.
  gateway_service_annotations = {
    "service.beta.kubernetes.io/aws-load-balancer-type"            = "external"
    "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type" = "ip"
    "service.beta.kubernetes.io/aws-load-balancer-scheme"          = "internet-facing"
  }

  depends_on = [helm_release.aws_load_balancer_controller]
}
