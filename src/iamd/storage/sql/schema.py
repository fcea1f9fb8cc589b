"""Every table of iamd (SQLAlchemy Core). Column names equal the entity fields they hold.

Every row carries ``account_id`` so that an account is removed with one statement per table.
Named entities also carry ``name_key``, the lower-cased name, which is what uniqueness and
ordering use: IAM names are unique regardless of case and listed in that order.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

ID = 32  # AWS ids are 21 characters; key ids 20
NAME = 128
PATH = 512
ARN = 2048


def _when(name: str, nullable: bool = False) -> Column[object]:
    return Column(name, DateTime(timezone=True), nullable=nullable)


accounts = Table(
    "accounts",
    metadata,
    Column("id", String(12), primary_key=True),
    Column("email", String(256)),  # lower-cased: the root user signs in with it
    _when("created"),
    # Bumped by every write transaction of the account: caches of authorization data are
    # keyed on it, so no process acts on data older than what has been committed.
    Column("version", BigInteger, nullable=False, default=0),
    _when("password_last_used", nullable=True),  # the root user's
    UniqueConstraint("email", name="uq_accounts_email"),
)

account_aliases = Table(
    "account_aliases",
    metadata,
    Column("alias", String(63), primary_key=True),
    Column("account_id", String(12), nullable=False, index=True),
)


def _named(name: str, *columns: Column[object], name_length: int = NAME) -> Table:
    return Table(
        name,
        metadata,
        Column("id", String(ID), primary_key=True),
        Column("account_id", String(12), nullable=False),
        Column("name", String(name_length), nullable=False),
        Column("name_key", String(name_length), nullable=False),
        Column("path", String(PATH), nullable=False),
        *columns,
        UniqueConstraint("account_id", "name_key", name=f"uq_{name}_name"),
    )


users = _named(
    "users",
    _when("created"),
    Column("permissions_boundary", String(ARN)),
    _when("password_last_used", nullable=True),
)

groups = _named("groups", _when("created"))

roles = _named(
    "roles",
    _when("created"),
    Column("assume_role_policy", Text, nullable=False),
    Column("description", String(1000)),
    Column("max_session_duration", Integer, nullable=False),
    Column("permissions_boundary", String(ARN)),
    _when("last_used_date", nullable=True),
    Column("last_used_region", String(64)),
)

instance_profiles = _named("instance_profiles", _when("created"))

policies = _named(
    "policies",
    _when("created"),
    _when("updated"),
    Column("default_version_id", String(16), nullable=False),
    Column("next_version", Integer, nullable=False),
    Column("description", String(1000)),
)

policy_versions = Table(
    "policy_versions",
    metadata,
    Column("account_id", String(12), nullable=False),
    Column("policy_id", String(ID), nullable=False),
    Column("version_id", String(16), nullable=False),
    Column("document", Text, nullable=False),
    _when("created"),
    PrimaryKeyConstraint("policy_id", "version_id"),
)

server_certificates = _named(
    "server_certificates",
    Column("body", Text, nullable=False),
    Column("chain", Text),
    Column("sealed_private_key", LargeBinary, nullable=False),
    _when("uploaded"),
    _when("expiration", nullable=True),
)

access_keys = Table(
    "access_keys",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("user_id", String(ID), index=True),  # NULL: the root user
    Column("sealed_secret", LargeBinary, nullable=False),
    Column("status", String(16), nullable=False),
    _when("created"),
    _when("last_used_date", nullable=True),
    Column("last_used_service", String(64)),
    Column("last_used_region", String(64)),
    Index("ix_access_keys_account", "account_id"),
)

oidc_providers = Table(
    "oidc_providers",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("url", String(255), nullable=False),
    Column("client_ids", Text, nullable=False),  # JSON array
    Column("thumbprints", Text, nullable=False),  # JSON array
    _when("created"),
    UniqueConstraint("account_id", "url", name="uq_oidc_providers_url"),
)

saml_providers = Table(
    "saml_providers",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("name", String(NAME), nullable=False),
    Column("name_key", String(NAME), nullable=False),
    Column("metadata_document", Text, nullable=False),
    _when("created"),
    _when("valid_until", nullable=True),
    UniqueConstraint("account_id", "name_key", name="uq_saml_providers_name"),
)

signing_certificates = Table(
    "signing_certificates",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("user_id", String(ID), index=True),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False),
    _when("uploaded"),
)

ssh_public_keys = Table(
    "ssh_public_keys",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("user_id", String(ID), nullable=False, index=True),
    Column("body", Text, nullable=False),
    Column("fingerprint", String(128), nullable=False),
    Column("status", String(16), nullable=False),
    _when("uploaded"),
)

# Pairs: group membership (group, user) and instance profile roles (profile, role).
relations = Table(
    "relations",
    metadata,
    Column("relation", String(32), nullable=False),
    Column("account_id", String(12), nullable=False, index=True),
    Column("left_id", String(ID), nullable=False),
    Column("right_id", String(ID), nullable=False),
    PrimaryKeyConstraint("relation", "left_id", "right_id"),
    Index("ix_relations_right", "relation", "right_id"),
)

attachments = Table(
    "attachments",
    metadata,
    Column("account_id", String(12), nullable=False),
    Column("policy_arn", String(ARN), nullable=False),
    Column("principal_kind", String(8), nullable=False),
    Column("principal_id", String(ID), nullable=False),
    PrimaryKeyConstraint("principal_kind", "principal_id", "policy_arn"),
    Index("ix_attachments_policy", "account_id", "policy_arn"),
)

inline_policies = Table(
    "inline_policies",
    metadata,
    Column("account_id", String(12), nullable=False, index=True),
    Column("owner_kind", String(8), nullable=False),
    Column("owner_id", String(ID), nullable=False),
    Column("name", String(NAME), nullable=False),
    Column("name_key", String(NAME), nullable=False),
    Column("document", Text, nullable=False),
    PrimaryKeyConstraint("owner_kind", "owner_id", "name_key"),
)

tags = Table(
    "tags",
    metadata,
    Column("account_id", String(12), nullable=False, index=True),
    Column("resource_kind", String(32), nullable=False),
    Column("resource_id", String(ARN), nullable=False),
    Column("key", String(128), nullable=False),
    Column("key_lower", String(128), nullable=False),
    Column("value", String(256), nullable=False),
    Column("position", Integer, nullable=False),
    PrimaryKeyConstraint("resource_kind", "resource_id", "key_lower"),
)

# -- credentials and sign-in (user_id NULL: the account's root user) ---------------------------
login_profiles = Table(
    "login_profiles",
    metadata,
    Column("id", String(ID), primary_key=True),  # the user's id, or the account id for root
    Column("account_id", String(12), nullable=False, index=True),
    Column("user_id", String(ID)),
    Column("password_hash", String(512), nullable=False),
    _when("created"),
    _when("password_changed"),
    Column("password_reset_required", Boolean, nullable=False),
)

used_passwords = Table(
    "used_passwords",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("account_id", String(12), nullable=False, index=True),
    Column("user_id", String(ID)),
    Column("password_hash", String(512), nullable=False),
    _when("created"),
    Index("ix_used_passwords_user", "account_id", "user_id"),
)

password_policies = Table(
    "password_policies",
    metadata,
    Column("id", String(12), primary_key=True),  # the account id
    Column("account_id", String(12), nullable=False),
    Column("minimum_password_length", Integer, nullable=False),
    Column("require_symbols", Boolean, nullable=False),
    Column("require_numbers", Boolean, nullable=False),
    Column("require_uppercase_characters", Boolean, nullable=False),
    Column("require_lowercase_characters", Boolean, nullable=False),
    Column("allow_users_to_change_password", Boolean, nullable=False),
    Column("max_password_age", Integer),
    Column("password_reuse_prevention", Integer),
    Column("hard_expiry", Boolean, nullable=False),
)

mfa_devices = _named(
    "mfa_devices",
    Column("sealed_seed", LargeBinary, nullable=False),
    _when("created"),
    Column("user_id", String(ID), index=True),
    _when("enabled", nullable=True),
    Column("last_step", BigInteger, nullable=False),
    name_length=226,
)

console_sessions = Table(
    "console_sessions",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("account_id", String(12), nullable=False, index=True),
    Column("user_id", String(ID), index=True),
    Column("token_hash", LargeBinary, nullable=False),
    _when("created"),
    _when("expires"),
    _when("mfa_authenticated", nullable=True),
    Column("password_change_only", Boolean, nullable=False),
)

# Failed sign-ins by key: a user name in an account, or a source address (account_id '').
signin_failures = Table(
    "signin_failures",
    metadata,
    Column("id", String(300), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("failures", Integer, nullable=False),
    _when("first_failure"),
    _when("locked_until", nullable=True),
)

credential_reports = Table(
    "credential_reports",
    metadata,
    Column("id", String(12), primary_key=True),  # the account id
    Column("account_id", String(12), nullable=False),
    _when("generated"),
    Column("content", Text, nullable=False),
)

# Software registered as a service principal (global: account_id is always '').
service_credentials = Table(
    "service_credentials",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("service_name", String(253), nullable=False),
    Column("sealed_secret", LargeBinary, nullable=False),
    _when("created"),
    UniqueConstraint("service_name", name="uq_service_credentials_service_name"),
)


# How many rows of each of COUNTED_TABLES an account holds, kept by the store's add and
# remove: a quota check reads one row instead of counting the account's users or roles.
entity_counts = Table(
    "entity_counts",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("kind", String(64), primary_key=True),  # the counted table's name
    Column("count", Integer, nullable=False),
)

# The tables whose quota is per account (see Quotas): users, groups, roles, ...
COUNTED_TABLES = (users, groups, roles, instance_profiles, policies, server_certificates,
                  oidc_providers, saml_providers, mfa_devices)
