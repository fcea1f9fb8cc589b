"""entity counts: each account's number of users, groups, roles... for quota checks

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 11:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# schema.COUNTED_TABLES as of this revision.
COUNTED = ('users', 'groups', 'roles', 'instance_profiles', 'policies', 'server_certificates',
           'oidc_providers', 'saml_providers', 'mfa_devices')


def upgrade() -> None:
    op.create_table('entity_counts',
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('account_id', 'kind')
    )
    for table in COUNTED:
        op.execute(
            "INSERT INTO entity_counts (account_id, kind, count) "
            f"SELECT account_id, '{table}', count(*) FROM {table} GROUP BY account_id"
        )


def downgrade() -> None:
    op.drop_table('entity_counts')
