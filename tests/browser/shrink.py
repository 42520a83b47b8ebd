"""`make screenshots`: small copies of the browser tests' screenshots for the docs
(docs/pages/img, shown on the dashboard and campaigns pages and in the README)."""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

SHOWN = (
    "overview",
    "customers",
    "customer",
    "campaign-new",
    # a campaign's journey (tests/browser/test_journey.py, test_journey_roles.py)
    "journey-en-message",
    "journey-en-approve",
    "journey-en-sent",
    "journey-en-report",
    "journey-fr-report",
    "journey-en-narrow",
    "journey-four-eyes-refused",
)
WIDTH = 900  # a desktop screenshot's width in the docs; a phone's keeps its own
PHONE = 600  # narrower than this: a phone screenshot, kept taller


def main(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name in SHOWN:
        with Image.open(source / f"{name}.png") as image:
            phone = image.width < PHONE
            tall = image.width * 5 // 2 if phone else image.width * 3 // 4
            height = min(image.height, tall)  # the top of long pages
            top = image.crop((0, 0, image.width, height))
            width = image.width if phone else WIDTH
            small = top.resize((width, round(height * width / image.width)), Image.LANCZOS)
            small.save(target / f"dashboard-{name}.png", optimize=True)
            print(target / f"dashboard-{name}.png")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
