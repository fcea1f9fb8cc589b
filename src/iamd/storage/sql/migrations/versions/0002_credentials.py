"""credentials and sign-in: login profiles, password history and policy, MFA devices,
console sessions, sign-in failures, credential reports; the root user's email is unique

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 07:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.execute("UPDATE accounts SET email = lower(email) WHERE email IS NOT NULL")
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(_when('password_last_used', nullable=True))
        batch_op.create_unique_constraint('uq_accounts_email', ['email'])

    op.create_table('login_profiles',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=True),
    sa.Column('password_hash', sa.String(length=512), nullable=False),
    _when('created'),
    _when('password_changed'),
    sa.Column('password_reset_required', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_login_profiles_account_id', 'login_profiles', ['account_id'])

    op.create_table('used_passwords',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=True),
    sa.Column('password_hash', sa.String(length=512), nullable=False),
    _when('created'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_used_passwords_account_id', 'used_passwords', ['account_id'])
    op.create_index('ix_used_passwords_user', 'used_passwords', ['account_id', 'user_id'])

    op.create_table('password_policies',
    sa.Column('id', sa.String(length=12), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('minimum_password_length', sa.Integer(), nullable=False),
    sa.Column('require_symbols', sa.Boolean(), nullable=False),
    sa.Column('require_numbers', sa.Boolean(), nullable=False),
    sa.Column('require_uppercase_characters', sa.Boolean(), nullable=False),
    sa.Column('require_lowercase_characters', sa.Boolean(), nullable=False),
    sa.Column('allow_users_to_change_password', sa.Boolean(), nullable=False),
    sa.Column('max_password_age', sa.Integer(), nullable=True),
    sa.Column('password_reuse_prevention', sa.Integer(), nullable=True),
    sa.Column('hard_expiry', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )

    op.create_table('mfa_devices',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=226), nullable=False),
    sa.Column('name_key', sa.String(length=226), nullable=False),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('sealed_seed', sa.LargeBinary(), nullable=False),
    _when('created'),
    sa.Column('user_id', sa.String(length=32), nullable=True),
    _when('enabled', nullable=True),
    sa.Column('last_step', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'name_key', name='uq_mfa_devices_name')
    )
    op.create_index('ix_mfa_devices_user_id', 'mfa_devices', ['user_id'])

    op.create_table('console_sessions',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=True),
    sa.Column('token_hash', sa.LargeBinary(), nullable=False),
    _when('created'),
    _when('expires'),
    _when('mfa_authenticated', nullable=True),
    sa.Column('password_change_only', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_console_sessions_account_id', 'console_sessions', ['account_id'])
    op.create_index('ix_console_sessions_user_id', 'console_sessions', ['user_id'])

    op.create_table('signin_failures',
    sa.Column('id', sa.String(length=300), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    _when('first_failure'),
    _when('locked_until', nullable=True),
    sa.PrimaryKeyConstraint('id')
    )

    op.create_table('credential_reports',
    sa.Column('id', sa.String(length=12), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    _when('generated'),
    sa.Column('content', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    for table in ('credential_reports', 'signin_failures', 'console_sessions', 'mfa_devices',
                  'password_policies', 'used_passwords', 'login_profiles'):
        op.drop_table(table)
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_constraint('uq_accounts_email', type_='unique')
        batch_op.drop_column('password_last_used')
