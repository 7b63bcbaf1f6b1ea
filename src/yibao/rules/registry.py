"""The set of policies the engine knows: the built-in files, loaded once on first use."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path

from yibao.rules.policy import Policy
from yibao.rules.policy_loader import POLICY_DIR, load_builtin_policies


class PolicyRegistry:
    def __init__(self, policies: Mapping[str, Policy]) -> None:
        self.policies = dict(policies)

    @classmethod
    def from_directory(cls, directory: Path = POLICY_DIR) -> PolicyRegistry:
        return cls(load_builtin_policies(directory))

    def get(self, policy_id: str) -> Policy | None:
        return self.policies.get(policy_id)

    def ids(self) -> list[str]:
        return sorted(self.policies)

    def with_policy(self, policy: Policy) -> PolicyRegistry:
        """A copy that also knows ``policy`` (a reform file, for simulation)."""
        return PolicyRegistry({**self.policies, policy.id: policy})


@functools.cache
def builtin_registry() -> PolicyRegistry:
    """The policy files shipped in the package."""
    return PolicyRegistry.from_directory()


_installed: PolicyRegistry | None = None


def default_registry() -> PolicyRegistry:
    """The registry the services settle with: the built-in files, or what
    :func:`install_registry` put in their place (the built-ins merged with the policy
    versions the agency uploaded and published; see docs/adr/0004-uploaded-policy-versions.md)."""
    return _installed if _installed is not None else builtin_registry()


def install_registry(registry: PolicyRegistry | None) -> None:
    """Use ``registry`` from now on in this process (None: back to the built-in files)."""
    global _installed
    _installed = registry
