"""`make bench`: runs every benchmark in bench/ and writes docs/benchmarks.md."""

import subprocess
import sys
from pathlib import Path

BENCHES = ["accuracy.py", "worlds.py", "waitaware.py", "ingest.py", "load.py"]


def main() -> int:
    here = Path(__file__).resolve().parent
    failed = []
    for name in BENCHES:
        path = here / name
        if not path.exists():
            continue
        print(f"== {name}", flush=True)
        if subprocess.run([sys.executable, str(path)], check=False).returncode != 0:
            failed.append(name)
    if failed:
        print("failed:", ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
