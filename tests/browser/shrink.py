"""`make screenshots`: small copies of the browser tests' screenshots for the docs
(docs/pages/img, shown on the dashboard page and in the README)."""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

SHOWN = ("overview", "customers", "customer", "campaign-new")
WIDTH = 900


def main(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name in SHOWN:
        with Image.open(source / f"{name}.png") as image:
            height = min(image.height, image.width * 3 // 4)  # the top of long pages
            top = image.crop((0, 0, image.width, height))
            small = top.resize((WIDTH, round(height * WIDTH / image.width)), Image.LANCZOS)
            small.save(target / f"dashboard-{name}.png", optimize=True)
            print(target / f"dashboard-{name}.png")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
