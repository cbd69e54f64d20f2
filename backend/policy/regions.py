"""The region tree of a policy pack: districts and their street offices."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from backend.policy.errors import PackError
from backend.policy.yamlfile import read_yaml

PACKS = Path(__file__).resolve().parent.parent / "policies"

__all__ = ["PACKS", "DistrictNode", "OfficeNode", "PackError", "RegionTree", "load_regions", "parse_regions"]


@dataclass(frozen=True, slots=True)
class OfficeNode:
    code: str
    names: dict[str, str]


@dataclass(frozen=True, slots=True)
class DistrictNode:
    code: str
    names: dict[str, str]
    offices: tuple[OfficeNode, ...]


@dataclass(frozen=True, slots=True)
class RegionTree:
    city: str
    names: dict[str, str]
    timezone: str
    districts: tuple[DistrictNode, ...]

    def office(self, code: str) -> OfficeNode | None:
        return next((o for d in self.districts for o in d.offices if o.code == code), None)

    def district_of(self, office: str) -> DistrictNode | None:
        """The district an office belongs to, or None for an unknown office."""
        return next((d for d in self.districts if any(o.code == office for o in d.offices)), None)

    def office_codes(self) -> frozenset[str]:
        return frozenset(o.code for d in self.districts for o in d.offices)


def _names(raw: object, where: str) -> dict[str, str]:
    if not isinstance(raw, dict) or not {"zh_CN", "en"} <= raw.keys():
        raise PackError(f"{where}: 'name' needs zh_CN and en")
    return {str(k): str(v) for k, v in raw.items()}


def parse_regions(data: object, path: Path, pack: str) -> RegionTree:
    """Validate the contents of ``regions.yaml``; duplicate or nameless codes fail with file and key named."""
    data = data or {}
    if not isinstance(data, dict):
        raise PackError(f"{path}: must be a mapping")
    city = data.get("city") or {}
    seen: set[str] = set()
    districts = []
    for i, d in enumerate(data.get("districts") or []):
        where = f"{path}: districts[{i}]"
        offices = []
        for j, o in enumerate(d.get("offices") or []):
            code = o.get("code")
            if not code or code in seen:
                raise PackError(f"{where}.offices[{j}]: missing or duplicate code {code!r}")
            seen.add(code)
            offices.append(OfficeNode(code, _names(o.get("name"), f"{where}.offices[{j}]")))
        if not d.get("code") or not offices:
            raise PackError(f"{where}: a district needs a code and at least one office")
        districts.append(DistrictNode(d["code"], _names(d.get("name"), where), tuple(offices)))
    if not districts:
        raise PackError(f"{path}: no districts")
    return RegionTree(
        city=city.get("code", pack),
        names=_names(city.get("name", {"zh_CN": pack, "en": pack}), f"{path}: city"),
        timezone=city.get("timezone", "Asia/Shanghai"),
        districts=tuple(districts),
    )


def load_regions(pack: str = "demo", root: Path = PACKS) -> RegionTree:
    """Read ``<pack>/regions.yaml``; duplicate or nameless codes fail with the file and key named."""
    path = root / pack / "regions.yaml"
    return parse_regions(read_yaml(path), path, pack)
