"""The test tree keeps its layout: shared helpers in tests/support, unit and integration tests under their app, no
test module loose at the top of a kind's directory (README, "Layout")."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parents[2]
APPS = {"carriers", "core", "queues", "stays", "workplace"}
ROOT_MODULES = {"__init__.py", "conftest.py", "factories.py", "clock.py", "clock_run.py"}
KINDS = {"support", "unit", "integration", "api", "admin", "live", "fuzz", "browser"}


def _modules() -> list[Path]:
    return sorted(path.relative_to(TESTS) for path in TESTS.rglob("*.py") if "__pycache__" not in path.parts)


def test_the_top_of_the_tree_holds_the_suite_wiring_and_the_kinds_only():
    loose = [str(path) for path in _modules() if len(path.parts) == 1 and path.name not in ROOT_MODULES]
    kinds = {path.name for path in TESTS.iterdir() if path.is_dir() and path.name != "__pycache__"}

    assert loose == [], f"move these into support/ (helpers) or a kind's directory: {loose}"
    assert kinds <= KINDS, f"unknown directories in tests/: {sorted(kinds - KINDS)}"


def test_unit_and_integration_tests_live_under_their_app():
    misplaced = [
        str(path)
        for path in _modules()
        if path.parts[0] in {"unit", "integration"}
        and path.name != "__init__.py"
        and (len(path.parts) < 3 or path.parts[1] not in APPS)
    ]

    assert misplaced == [], f"move these to unit/<app>/ or integration/<app>/ ({', '.join(sorted(APPS))}): {misplaced}"


def test_helpers_live_in_support():
    helpers = [
        str(path)
        for path in _modules()
        if len(path.parts) > 1
        and path.parts[0] != "support"
        and path.name not in {"__init__.py", "conftest.py"}
        and not path.name.startswith("test_")
    ]

    assert helpers == [], f"move these helper modules to tests/support/: {helpers}"


def test_every_test_directory_is_a_package():
    directories = {TESTS / path.parent for path in _modules() if path.name.startswith("test_")}
    missing = sorted(str(d.relative_to(TESTS)) for d in directories if not (d / "__init__.py").exists())

    assert missing == [], f"add __init__.py to: {missing}"
