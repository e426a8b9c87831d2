"""replenishment rules and scrap disposition

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 19:11:30.144097
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('replenishment_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('min_quantity', sa.BigInteger(), nullable=False),
    sa.Column('max_quantity', sa.BigInteger(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_replenishment_rule_location_id_location')),
    sa.ForeignKeyConstraint(['owner_id'], ['owner.id'], name=op.f('fk_replenishment_rule_owner_id_owner')),
    sa.ForeignKeyConstraint(['sku_id'], ['sku.id'], name=op.f('fk_replenishment_rule_sku_id_sku')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_replenishment_rule_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_replenishment_rule')),
    sa.UniqueConstraint('location_id', 'sku_id', name=op.f('uq_replenishment_rule_location_id_sku_id'))
    )
    with op.batch_alter_table('qc_inspection', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scrapped_quantity', sa.BigInteger(), server_default='0', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('qc_inspection', schema=None) as batch_op:
        batch_op.drop_column('scrapped_quantity')

    op.drop_table('replenishment_rule')
