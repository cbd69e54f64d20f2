"""The application's typed keys, where the API's modules have always found them (``backend.app_keys``)."""

from backend.app_keys import (
    CASES,
    CLOCK,
    CONFIG,
    DATABASE,
    INTAKE,
    PACK,
    PACKS,
    PROJECTS,
    TRANSLATIONS,
    USER,
    VOLUNTEERING,
)

__all__ = [
    "CASES", "CLOCK", "CONFIG", "DATABASE", "INTAKE", "PACK", "PACKS", "PROJECTS", "TRANSLATIONS", "USER",
    "VOLUNTEERING",
]
