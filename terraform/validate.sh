#!/usr/bin/env bash
# Validates terraform/ offline (no Kubernetes control plane can run here):
#   1. `terraform fmt -check` of every file, and every .tf parsed with python-hcl2;
#   2. the manifests rendered by terraform/render (no provider: offline) for each sample
#      (redis: the durable store is Valkey; scylla: a ScyllaCluster);
#   3. every rendered object validated with kubernetes-validate --strict against several
#      Kubernetes versions;
#   4. checkov on the rendered objects and on the Terraform code (skips justified in
#      terraform/.checkov.yaml);
#   5. pytest terraform/tests: the topology (ordinals, probes, per-pod LoadBalancers,
#      NetworkPolicies, PDBs, grace periods) and every MMO_* env var against the binaries'
#      --help (MMO_BIN_DIR, default ${CARGO_TARGET_DIR:-target}/debug: build them first).
# Tools go to a venv under ${CARGO_TARGET_DIR:-target}/tf-venv (pinned in
# terraform/requirements*.txt), installed only when missing or changed.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
target="${CARGO_TARGET_DIR:-$repo/target}"
venvs="$target/tf-venv"
k8s_versions=(1.30.0 1.33.0 1.37.0)
samples=(redis scylla)

step() { printf '\n== %s\n' "$*"; }

step "python3 with venv"
need=()
command -v python3 >/dev/null 2>&1 || need+=(python3)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
scripts/apt-install-missing.sh "${need[@]}"

# make_venv DIR REQUIREMENTS: (re)creates DIR when REQUIREMENTS changed since it was made.
make_venv() {
  local dir="$1" req="$2"
  if [ -x "$dir/bin/python" ] && cmp -s "$req" "$dir/.requirements"; then
    echo "  $dir: up to date"
    return
  fi
  echo "  $dir: installing $(grep -v '^#' "$req" | tr '\n' ' ')"
  rm -rf "$dir"
  python3 -m venv "$dir"
  "$dir/bin/pip" install -q --disable-pip-version-check -r "$req"
  cp "$req" "$dir/.requirements"
}
step "tools (venvs in $venvs)"
make_venv "$venvs/tools" terraform/requirements.txt
make_venv "$venvs/checkov" terraform/requirements-checkov.txt
tools="$venvs/tools/bin"
terraform="$tools/terraform"
"$terraform" version | sed -n 1p # sed reads it all: no SIGPIPE under pipefail

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

step "terraform fmt -check"
"$terraform" fmt -check -recursive -diff terraform/

step "parse every .tf with python-hcl2"
"$tools/python" - <<'PY'
import pathlib, hcl2
files = [p for p in sorted(pathlib.Path("terraform").rglob("*.tf")) if ".terraform" not in p.parts]
for p in files:
    with p.open() as f:
        hcl2.load(f)
print(f"  {len(files)} files parsed")
PY

for sample in "${samples[@]}"; do
  step "render sample '$sample'"
  vars=(-var-file=samples/base.tfvars.json)
  [ "$sample" = redis ] || vars+=("-var-file=samples/$sample.tfvars.json")
  export TF_DATA_DIR="$work/$sample.tfdata" TF_IN_AUTOMATION=1
  (
    cd terraform/render
    "$terraform" init -input=false -no-color >/dev/null
    "$terraform" apply -auto-approve -input=false -no-color -state="$work/$sample.tfstate" "${vars[@]}" >/dev/null
    "$terraform" output -no-color -state="$work/$sample.tfstate" -json >"$work/$sample.json"
  )
  unset TF_DATA_DIR
  "$tools/python" terraform/tests/split_render.py "$work/$sample.json" "$work/$sample"

  for v in "${k8s_versions[@]}"; do
    step "kubernetes-validate --strict, Kubernetes $v, sample '$sample'"
    "$tools/kubernetes-validate" --strict --quiet -k "$v" "$work/$sample"/manifests/*.yaml
    echo "  ok"
  done

  step "checkov on the rendered objects, sample '$sample'"
  "$venvs/checkov/bin/checkov" --quiet --compact --skip-download --framework kubernetes \
    --config-file terraform/.checkov.yaml -d "$work/$sample/manifests"
done

step "checkov on the Terraform code"
"$venvs/checkov/bin/checkov" --quiet --compact --skip-download --framework terraform \
  --config-file terraform/.checkov.yaml -d terraform/

step "pytest terraform/tests"
export MMO_BIN_DIR="${MMO_BIN_DIR:-$target/debug}"
MMO_TF_RENDERED="$work" "$tools/pytest" -q terraform/tests

step "terraform/ validated"
