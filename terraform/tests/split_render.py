"""Splits `terraform output -json` of terraform/render into files validate.sh checks.

Usage: split_render.py OUTPUT_JSON DEST_DIR

DEST_DIR/manifests/KIND-NAMESPACE-NAME.yaml   one Kubernetes object per file (the Secret too)
DEST_DIR/charts/valkey-values.yaml          the Valkey chart's values
DEST_DIR/charts/scylla-values.yaml          the scylla chart's values (when rendered)
DEST_DIR/outputs.json                       gateways, play_url, dashboard_url
"""

import json
import pathlib
import sys

import yaml


def main(output_json: str, dest: str) -> None:
    out = {k: v["value"] for k, v in json.loads(pathlib.Path(output_json).read_text()).items()}
    dest_dir = pathlib.Path(dest)
    manifests = dest_dir / "manifests"
    charts = dest_dir / "charts"
    manifests.mkdir(parents=True)
    charts.mkdir()
    objects = {"Namespace//": out["namespace"], **out["secrets"], **out["objects"]}
    for key, text in objects.items():
        obj = json.loads(text)
        name = "-".join(p for p in key.split("/") if p)
        (manifests / f"{name}.yaml").write_text(yaml.safe_dump(obj, sort_keys=False))
    (charts / "valkey-values.yaml").write_text(out["valkey_values"])
    if out["scylla_values"]:
        (charts / "scylla-values.yaml").write_text(out["scylla_values"])
    rest = {k: out[k] for k in ("gateways", "play_url", "dashboard_url")}
    (dest_dir / "outputs.json").write_text(json.dumps(rest, indent=2))
    print(f"  {len(objects)} objects -> {manifests}")


if __name__ == "__main__":
    main(*sys.argv[1:])
