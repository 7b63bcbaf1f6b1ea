"""Dependencies are pinned by a lock file that set-up installs, above known advisories
(issue 6, item 9)."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.lock"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")

# package → the first version without a published advisory that affects this project
ADVISORY_FLOORS = {
    "jinja2": "3.1.6",  # sandbox breakout through attr filter (CVE-2025-27516)
    "python-multipart": "0.0.18",  # DoS through malformed multipart boundaries (CVE-2024-53981)
    "starlette": "0.49.1",  # Range header DoS in FileResponse (CVE-2025-62727), CVE-2025-54121
    "h11": "0.16.0",  # request smuggling through chunked encoding (CVE-2025-43859)
    "cryptography": "44.0.1",  # bundled OpenSSL (CVE-2024-12797)
    "pyjwt": "2.10.1",  # issuer check by substring (CVE-2024-53861)
}


def project() -> dict[str, list[str]]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    proj = data["project"]
    return {"main": proj["dependencies"], "dev": proj["optional-dependencies"]["dev"]}


def locked() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        m = PIN.match(line)
        if m:
            pins[canonicalize_name(m.group(1))] = Version(m.group(2))
    return pins


def just_below(version: Version) -> Version:
    """3.1.6 → 3.1.5, 0.16.0 → 0.15.99."""
    parts = list(version.release)
    i = max(n for n, p in enumerate(parts) if p > 0)
    parts[i] -= 1
    parts[i + 1 :] = [99] * (len(parts) - i - 1)
    return Version(".".join(map(str, parts)))


def test_every_dependency_is_locked_at_a_version_pyproject_allows() -> None:
    pins = locked()
    for requirement in [Requirement(r) for group in project().values() for r in group]:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in requirements.lock: run make lock"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{name}=={pins[name]} does not satisfy {requirement}: run make lock"
        )


def test_every_locked_package_carries_hashes() -> None:
    text = LOCK.read_text(encoding="utf-8")
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 3)[3])
    assert entries
    for entry in entries:
        assert PIN.match(entry), entry
        assert "--hash=sha256:" in entry, entry


@pytest.mark.parametrize(("package", "floor"), sorted(ADVISORY_FLOORS.items()))
def test_floors_exclude_versions_with_known_advisories(package: str, floor: str) -> None:
    specs = {
        canonicalize_name(Requirement(r).name): Requirement(r).specifier for r in project()["main"]
    }
    spec = specs[canonicalize_name(package)]
    older = just_below(Version(floor))
    assert not spec.contains(older), f"{package} {spec} still allows {older}"
    assert locked()[canonicalize_name(package)] >= Version(floor)


def test_set_up_installs_from_the_lock_and_a_changed_lock_reinstalls() -> None:
    dry = subprocess.run(
        ["make", "-n", "-W", "requirements.lock", "setup"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "--require-hashes -r requirements.lock" in dry
    assert "--no-deps -e ." in dry
    assert "'.[dev]'" not in dry  # nothing resolved outside the lock
    assert "make lock" in LOCK.read_text(encoding="utf-8").split("\n", 3)[2]
