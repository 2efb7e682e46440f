"""Fixtures over the objects terraform/validate.sh rendered (MMO_TF_RENDERED: one folder per
sample, each made by split_render.py)."""

import json
import os
import pathlib

import pytest
import yaml

SAMPLES = ("redis", "scylla")
TERRAFORM_DIR = pathlib.Path(__file__).resolve().parent.parent


class Rendered:
    """The objects and outputs of one rendered sample."""

    def __init__(self, folder: pathlib.Path):
        self.objects = [yaml.safe_load(p.read_text()) for p in sorted((folder / "manifests").glob("*.yaml"))]
        self.outputs = json.loads((folder / "outputs.json").read_text())
        self.charts = {p.stem: yaml.safe_load(p.read_text()) for p in (folder / "charts").glob("*.yaml")}

    def all(self, kind: str) -> list:
        return [o for o in self.objects if o["kind"] == kind]

    def get(self, kind: str, name: str) -> dict:
        found = [o for o in self.all(kind) if o["metadata"]["name"] == name]
        assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
        return found[0]

    def workload(self, component: str) -> dict:
        kind = "Deployment" if component == "coordinator" else "StatefulSet"
        return self.get(kind, f"mmo-{component}")

    def container(self, component: str) -> dict:
        (c,) = self.workload(component)["spec"]["template"]["spec"]["containers"]
        return c


def rendered_dir() -> pathlib.Path:
    value = os.environ.get("MMO_TF_RENDERED")
    if not value:
        pytest.fail("MMO_TF_RENDERED is not set: run terraform/validate.sh, which renders the samples first")
    return pathlib.Path(value)


@pytest.fixture(params=SAMPLES, scope="session")
def rendered(request) -> Rendered:
    return Rendered(rendered_dir() / request.param)


@pytest.fixture(scope="session")
def redis() -> Rendered:
    return Rendered(rendered_dir() / "redis")


@pytest.fixture(scope="session")
def scylla() -> Rendered:
    return Rendered(rendered_dir() / "scylla")


def env_of(container: dict) -> dict:
    """name -> the env entry (value or valueFrom), failing on a name given twice."""
    names = [e["name"] for e in container.get("env", [])]
    assert len(names) == len(set(names)), f"{container['name']}: an env var is given twice: {names}"
    return {e["name"]: e for e in container.get("env", [])}
