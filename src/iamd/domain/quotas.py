"""AWS IAM's default quotas, as data (IAM and AWS STS quotas page)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Quotas:
    users_per_account: int = 5000
    groups_per_account: int = 300
    roles_per_account: int = 1000
    instance_profiles_per_account: int = 1000
    customer_managed_policies_per_account: int = 1500
    managed_policies_per_principal: int = 10
    groups_per_user: int = 10
    access_keys_per_user: int = 2
    versions_per_policy: int = 5
    tags_per_resource: int = 50
    roles_per_instance_profile: int = 1
    aliases_per_account: int = 1
    server_certificates_per_account: int = 20
    saml_providers_per_account: int = 100
    oidc_providers_per_account: int = 100
    ssh_keys_per_user: int = 5
    signing_certificates_per_user: int = 2
    mfa_devices_per_user: int = 8  # in use by one IAM user, or by the root user
    # Aggregate size of all inline policies of one principal (characters, white space excluded).
    inline_policy_chars_user: int = 2048
    inline_policy_chars_group: int = 5120
    inline_policy_chars_role: int = 10240
    managed_policy_chars: int = 6144
    trust_policy_chars: int = 2048

    @property
    def virtual_mfa_devices_per_account(self) -> int:
        """Assigned or not: AWS sets it equal to the users quota."""
        return self.users_per_account


DEFAULT_QUOTAS = Quotas()
