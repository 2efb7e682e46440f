"""The module's inputs are named alike everywhere: variables.tf, main.tf (passing them to
modules/manifests), the render sample and the README's table."""

import json
import re

import hcl2

from conftest import TERRAFORM_DIR


def declared() -> set:
    with (TERRAFORM_DIR / "variables.tf").open() as f:
        return {name.strip('"') for block in hcl2.load(f)["variable"] for name in block}  # labels keep quotes


def test_main_passes_every_variable_to_the_manifests_module():
    with (TERRAFORM_DIR / "main.tf").open() as f:
        (module,) = [body for m in hcl2.load(f)["module"] for label, body in m.items() if label.strip('"') == "manifests"]
    assert set(module["settings"]) == declared()


def test_render_sample_sets_every_variable():
    sample = json.loads((TERRAFORM_DIR / "render/samples/base.tfvars.json").read_text())["settings"]
    assert set(sample) == declared()


def test_readme_table_lists_every_variable():
    readme = (TERRAFORM_DIR / "README.md").read_text()
    listed = set(re.findall(r"^\| `([a-z0-9_]+)` \| `", readme, flags=re.M))
    assert listed == declared()
