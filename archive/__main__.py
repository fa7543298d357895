"""Entry point of ``python -m archive``."""

from __future__ import annotations

import sys

from archive.cli import main

if __name__ == "__main__":
    sys.exit(main())
