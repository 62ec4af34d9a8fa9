"""The platform image catalogue: which marketplace images exist, and how Azure shows them.

Plain data, no HTTP. The built-in list (`data/images.json`) holds the images real traffic
uses; users add their own with `Catalogue.extended(path)` (`vmss-contract emulate --images`).
Names compare case-insensitively, as ARM does; answers keep the catalogue's spelling.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

JSON = dict[str, Any]


def version_key(version: str) -> tuple[tuple[int, str], ...]:
    """Order image versions as Azure's `$orderby=name desc` does: dotted numbers numerically."""
    return tuple((int(part), "") if part.isdigit() else (-1, part.lower()) for part in version.split("."))


@dataclass(frozen=True)
class Image:
    """One publisher/offer/sku and its versions (newest last)."""

    publisher: str
    offer: str
    sku: str
    os: str  # "Linux" | "Windows"
    versions: tuple[str, ...]
    hyper_v_generation: str = "V1"
    architecture: str = "x64"
    size_in_gb: int | None = None
    size_in_bytes: int | None = None
    automatic_os_upgrade: bool = False
    features: tuple[tuple[str, str], ...] = ()
    aliases: tuple[str, ...] = ()

    @property
    def urn(self) -> str:
        return f"{self.publisher}:{self.offer}:{self.sku}"

    @property
    def latest(self) -> str:
        return self.versions[-1]

    def version(self, name: str) -> str | None:
        """The version as the catalogue spells it; `latest` is the newest."""
        if name.lower() == "latest":
            return self.latest
        return next((v for v in self.versions if v.lower() == name.lower()), None)


def _image(entry: JSON) -> Image:
    versions = tuple(sorted((str(v) for v in entry.get("versions") or ()), key=version_key))
    if not versions:
        raise ValueError(f"image {entry.get('publisher')}:{entry.get('offer')}:{entry.get('sku')} lists no versions")
    return Image(
        publisher=str(entry["publisher"]), offer=str(entry["offer"]), sku=str(entry["sku"]),
        os=str(entry.get("os", "Linux")), versions=versions,
        hyper_v_generation=str(entry.get("hyperVGeneration", "V1")),
        architecture=str(entry.get("architecture", "x64")),
        size_in_gb=entry.get("sizeInGb"), size_in_bytes=entry.get("sizeInBytes"),
        automatic_os_upgrade=bool(entry.get("automaticOSUpgradeSupported", False)),
        features=tuple((str(k), str(v)) for k, v in (entry.get("features") or {}).items()),
        aliases=tuple(str(a) for a in entry.get("aliases") or ()),
    )


@dataclass(frozen=True)
class Catalogue:
    """Every known image, indexed by (publisher, offer, sku) in lower case."""

    images: tuple[Image, ...]
    _index: dict[tuple[str, str, str], Image] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for image in self.images:
            self._index[(image.publisher.lower(), image.offer.lower(), image.sku.lower())] = image

    @classmethod
    def from_entries(cls, entries: list[JSON]) -> Catalogue:
        return cls(tuple(_image(e) for e in entries))

    def extended(self, path: str | Path) -> Catalogue:
        """This catalogue plus the images in a JSON or YAML file (`{"images": [...]}` or a list);
        an image already known gets the file's versions added."""
        entries = _read_entries(Path(path))
        merged: dict[tuple[str, str, str], Image] = dict(self._index)
        for entry in entries:
            image = _image(entry)
            key = (image.publisher.lower(), image.offer.lower(), image.sku.lower())
            old = merged.get(key)
            if old is not None:
                versions = tuple(sorted(set(old.versions) | set(image.versions), key=version_key))
                image = Image(**{**old.__dict__, "versions": versions})
            merged[key] = image
        return Catalogue(tuple(merged.values()))

    # ---- look-ups (case-insensitive, as ARM's) ---------------------------
    def image(self, publisher: str, offer: str, sku: str) -> Image | None:
        return self._index.get((publisher.lower(), offer.lower(), sku.lower()))

    def publishers(self) -> list[str]:
        return sorted({i.publisher for i in self.images}, key=str.lower)

    def offers(self, publisher: str) -> list[str]:
        return sorted({i.offer for i in self.images if i.publisher.lower() == publisher.lower()}, key=str.lower)

    def skus(self, publisher: str, offer: str) -> list[str]:
        return sorted({i.sku for i in self.images if (i.publisher.lower(), i.offer.lower())
                       == (publisher.lower(), offer.lower())}, key=str.lower)

    def resolve(self, reference: JSON) -> tuple[Image, str] | None:
        """The image and exact version a scale set's platform `imageReference` names, or None."""
        image = self.image(str(reference.get("publisher", "")), str(reference.get("offer", "")),
                           str(reference.get("sku", "")))
        if image is None:
            return None
        version = image.version(str(reference.get("version") or "latest"))
        return (image, version) if version is not None else None


def is_platform_reference(reference: Any) -> bool:
    """A marketplace image named by publisher/offer/sku (not a gallery or managed image id)."""
    if not isinstance(reference, dict):
        return False
    if any(reference.get(k) for k in ("id", "sharedGalleryImageId", "communityGalleryImageId")):
        return False
    return all(isinstance(reference.get(k), str) and reference.get(k) for k in ("publisher", "offer", "sku"))


def urn(reference: JSON) -> str:
    """How Azure's PlatformImageNotFound message names an image: publisher:offer:sku:version."""
    return ":".join(str(reference.get(k) or ("latest" if k == "version" else "")) for k in
                    ("publisher", "offer", "sku", "version"))


# ---- Azure's answer shapes (from the recorded VirtualMachineImages answers) ---------------

def _base(subscription: str, location: str) -> str:
    return f"/Subscriptions/{subscription}/Providers/Microsoft.Compute/Locations/{location}/Publishers"


def resource(subscription: str, location: str, name: str, path: str) -> JSON:
    """A VirtualMachineImageResource: how every list (publishers ... versions) shows an entry."""
    return {"location": location, "name": name, "id": f"{_base(subscription, location)}/{path}"}


def version_path(image: Image, version: str) -> str:
    return f"{image.publisher}/ArtifactTypes/VMImage/Offers/{image.offer}/Skus/{image.sku}/Versions/{version}"


def image_version(subscription: str, location: str, image: Image, version: str) -> JSON:
    """The VirtualMachineImage answer of VirtualMachineImages_Get, members as recorded."""
    os_disk: JSON = {"operatingSystem": image.os}
    if image.size_in_gb is not None:
        os_disk["sizeInGb"] = image.size_in_gb
    if image.size_in_bytes is not None:
        os_disk["sizeInBytes"] = image.size_in_bytes
    properties: JSON = {
        "hyperVGeneration": image.hyper_v_generation,
        "architecture": image.architecture,
        "replicaType": "Unmanaged",
        "disallowed": {"vmDiskType": "None"},
        "automaticOSUpgradeProperties": {"automaticOSUpgradeSupported": image.automatic_os_upgrade},
        "imageDeprecationStatus": {"imageState": "Active"},
        "features": [{"name": k, "value": v} for k, v in image.features],
        "osDiskImage": os_disk,
        "dataDiskImages": [],
    }
    answer = resource(subscription, location, version, version_path(image, version))
    return {"properties": properties, **answer}


# ---- loading ----------------------------------------------------------------------------

def _read_entries(path: Path) -> list[JSON]:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text) if path.suffix.lower() in (".yaml", ".yml") else json.loads(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read images: {exc}") from None
    entries = data.get("images") if isinstance(data, dict) else data
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ValueError(f"{path}: expected a list of images or {{'images': [...]}}")
    for e in entries:
        missing = [k for k in ("publisher", "offer", "sku", "versions") if not e.get(k)]
        if missing:
            raise ValueError(f"{path}: an image lacks {', '.join(missing)}: {e}")
    return entries


@lru_cache(maxsize=1)
def builtin() -> Catalogue:
    """The images real traffic uses (package data)."""
    text = resources.files("contract.emulator").joinpath("data/images.json").read_text(encoding="utf-8")
    return Catalogue.from_entries(json.loads(text)["images"])
