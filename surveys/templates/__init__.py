"""The survey templates bundled with Consulta, ready to import as they are or to copy and adapt.

Each template is a YAML survey file in this directory (the format is described in
docs/surveys.md); its name is the file name without ``.yaml``, which is also its survey id.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["TEMPLATES_DIR", "template_names", "template_path"]

TEMPLATES_DIR = Path(__file__).parent


def template_names() -> list[str]:
    """The names of the bundled templates, sorted."""
    return sorted(path.stem for path in TEMPLATES_DIR.glob("*.yaml"))


def template_path(name: str) -> Path:
    """The file of the template with this name (``.yaml`` may be added); KeyError if none."""
    stem = name.strip().removesuffix(".yaml")
    names = template_names()
    if stem not in names:
        raise KeyError(f"no survey template {name!r}; the templates are: {', '.join(names)}")
    return TEMPLATES_DIR / f"{stem}.yaml"
