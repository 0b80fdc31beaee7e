"""Build hook: the wheel carries what the bot needs at run time and the checkout does not track.

setuptools reads everything else from pyproject.toml. `build_py` additionally compiles the gettext
catalogues (.po -> .mo, with babel, as `make i18n-compile` does in a checkout) and copies the
example configuration into the package, so an installed bot starts and `buurtwacht init-config`
works without a source tree.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildPyWithCatalogues(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "bot"
        for po in sorted((ROOT / "bot" / "locales").glob("*/LC_MESSAGES/*.po")):
            mo = target / po.relative_to(ROOT / "bot").with_suffix(".mo")
            mo.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as source:
                catalog = read_po(source)
            with mo.open("wb") as out:
                write_mo(out, catalog)  # fuzzy entries left out, like pybabel compile
        shutil.copyfile(ROOT / "config.example.toml", target / "config.example.toml")


setup(cmdclass={"build_py": BuildPyWithCatalogues})
