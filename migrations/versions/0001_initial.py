"""initial schema: sources, items, quarantine, ingest runs

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 07:49:03.146755
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import monitor.store.types

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('format', sa.String(length=20), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('origin', sa.String(length=10), nullable=True),
    sa.Column('language', sa.String(length=20), nullable=True),
    sa.Column('field_mapping', sa.JSON(), nullable=False),
    sa.Column('timestamp_format', sa.String(length=100), nullable=False),
    sa.Column('dayfirst', sa.Boolean(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('created_at', monitor.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sources')),
    sa.UniqueConstraint('name', name=op.f('uq_sources_name'))
    )
    op.create_table('ingest_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('started_at', monitor.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', monitor.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', monitor.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('n_read', sa.Integer(), nullable=False),
    sa.Column('n_inserted', sa.Integer(), nullable=False),
    sa.Column('n_duplicates', sa.Integer(), nullable=False),
    sa.Column('n_near_duplicates', sa.Integer(), nullable=False),
    sa.Column('n_truncated', sa.Integer(), nullable=False),
    sa.Column('n_quarantined', sa.Integer(), nullable=False),
    sa.Column('quarantined_by_reason', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['source_id'], ['sources.id'], name=op.f('fk_ingest_runs_source_id_sources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ingest_runs'))
    )
    op.create_table('items',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('text_normalised', sa.Text(), nullable=False),
    sa.Column('text_truncated', sa.Boolean(), nullable=False),
    sa.Column('original_size', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('original_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('duplicate_kind', sa.String(length=20), nullable=True),
    sa.Column('published_at', monitor.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('collected_at', monitor.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('author_pseudonym', sa.String(length=64), nullable=True),
    sa.Column('author_handle', sa.String(length=255), nullable=True),
    sa.Column('author_location', sa.String(length=255), nullable=True),
    sa.Column('language', sa.String(length=20), nullable=True),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.Column('ingest_run_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['ingest_run_id'], ['ingest_runs.id'], name=op.f('fk_items_ingest_run_id_ingest_runs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['original_id'], ['items.id'], name=op.f('fk_items_original_id_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['source_id'], ['sources.id'], name=op.f('fk_items_source_id_sources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_items')),
    sa.UniqueConstraint('source_id', 'external_id', name=op.f('uq_items_source_id_external_id'))
    )
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.create_index('ix_items_content_hash', ['content_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_items_original_id'), ['original_id'], unique=False)
        batch_op.create_index('ix_items_published_at', ['published_at'], unique=False)

    op.create_table('quarantined_records',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('ingest_run_id', sa.Integer(), nullable=True),
    sa.Column('file_name', sa.Text(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=50), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('excerpt', sa.Text(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('created_at', monitor.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ingest_run_id'], ['ingest_runs.id'], name=op.f('fk_quarantined_records_ingest_run_id_ingest_runs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['source_id'], ['sources.id'], name=op.f('fk_quarantined_records_source_id_sources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quarantined_records')),
    sa.UniqueConstraint('source_id', 'fingerprint', name=op.f('uq_quarantined_records_source_id_fingerprint'))
    )
    with op.batch_alter_table('quarantined_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quarantined_records_reason'), ['reason'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('quarantined_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quarantined_records_reason'))

    op.drop_table('quarantined_records')
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_index('ix_items_published_at')
        batch_op.drop_index(batch_op.f('ix_items_original_id'))
        batch_op.drop_index('ix_items_content_hash')

    op.drop_table('items')
    op.drop_table('ingest_runs')
    op.drop_table('sources')
