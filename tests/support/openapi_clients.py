"""Python clients generated from Kezek's own OpenAPI documents, as an integrator would make them.

``openapi-python-client`` (a dev dependency) turns each document into a package in a temporary folder; tests
import it and drive the live server with it, so a document that disagrees with the server (a required field the
server leaves out, an untyped object, a wrong format) fails the suite. Generation is offline: the document is
read from a file and no post-processing hook (formatter) runs.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

from django.test import Client

DOCUMENTS = {"driver": "/api/v1/schema?format=json", "partner": "/api/partner/v1/openapi.json"}


def openapi_document(name: str) -> dict:
    """The OpenAPI document the server publishes, read through Django's test client."""
    response = Client().get(DOCUMENTS[name])
    assert response.status_code == 200, response.content[:300]
    return json.loads(response.content)


def client_generate(name: str, folder: Path):
    """Generates the client of document ``name`` into ``folder`` and imports it as ``kezek_<name>_client``."""
    package = f"kezek_{name}_client"
    source = folder / f"{name}.json"
    source.write_text(json.dumps(openapi_document(name)))
    config = folder / "generator.yaml"
    config.write_text("post_hooks: []\n")
    generator = Path(sys.executable).with_name("openapi-python-client")
    completed = subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            str(source),
            "--output-path",
            str(folder / package),
            "--meta",
            "none",
            "--config",
            str(config),
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    # A client generated earlier in this process under the same name is forgotten, so this one is imported.
    for module in [module for module in sys.modules if module == package or module.startswith(f"{package}.")]:
        del sys.modules[module]
    sys.path.insert(0, str(folder))
    try:
        importlib.invalidate_caches()
        client = importlib.import_module(package)
        importlib.import_module(f"{package}.models")
        importlib.import_module(f"{package}.api")
    finally:
        sys.path.remove(str(folder))
    return client
