"""inventory control freezes counts transfers kits

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 18:52:43.735513
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('count_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=True),
    sa.Column('sku_id', sa.Integer(), nullable=True),
    sa.Column('abc_class', sa.String(length=1), nullable=True),
    sa.Column('location_ids', sa.JSON(), nullable=True),
    sa.Column('every_days', sa.Integer(), nullable=False),
    sa.Column('next_due', sa.Date(), nullable=False),
    sa.Column('blind', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.ForeignKeyConstraint(['sku_id'], ['sku.id'], name=op.f('fk_count_plan_sku_id_sku')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_count_plan_warehouse_id_warehouse')),
    sa.ForeignKeyConstraint(['zone_id'], ['zone.id'], name=op.f('fk_count_plan_zone_id_zone')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_count_plan'))
    )
    op.create_table('kit_component',
    sa.Column('kit_sku_id', sa.Integer(), nullable=False),
    sa.Column('component_sku_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['component_sku_id'], ['sku.id'], name=op.f('fk_kit_component_component_sku_id_sku')),
    sa.ForeignKeyConstraint(['kit_sku_id'], ['sku.id'], name=op.f('fk_kit_component_kit_sku_id_sku')),
    sa.PrimaryKeyConstraint('kit_sku_id', 'component_sku_id', name=op.f('pk_kit_component'))
    )
    op.create_table('stock_count',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('blind', sa.Boolean(), nullable=False),
    sa.Column('snapshot_movement_id', sa.BigInteger(), nullable=False),
    sa.Column('approval_request_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('posting_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('posted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['approval_request_id'], ['approval_request.id'], name=op.f('fk_stock_count_approval_request_id_approval_request')),
    sa.ForeignKeyConstraint(['plan_id'], ['count_plan.id'], name=op.f('fk_stock_count_plan_id_count_plan')),
    sa.ForeignKeyConstraint(['posting_id'], ['posting.id'], name=op.f('fk_stock_count_posting_id_posting')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_stock_count_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_count'))
    )
    with op.batch_alter_table('stock_count', schema=None) as batch_op:
        batch_op.create_index('ix_stock_count_warehouse_status', ['warehouse_id', 'status'], unique=False)

    op.create_table('stock_freeze',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('sku_id', sa.Integer(), nullable=True),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('location_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('posting_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('release_posting_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('released_by', sa.String(length=64), nullable=True),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('release_reason', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_stock_freeze_location_id_location')),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_stock_freeze_lot_id_lot')),
    sa.ForeignKeyConstraint(['owner_id'], ['owner.id'], name=op.f('fk_stock_freeze_owner_id_owner')),
    sa.ForeignKeyConstraint(['posting_id'], ['posting.id'], name=op.f('fk_stock_freeze_posting_id_posting')),
    sa.ForeignKeyConstraint(['release_posting_id'], ['posting.id'], name=op.f('fk_stock_freeze_release_posting_id_posting')),
    sa.ForeignKeyConstraint(['sku_id'], ['sku.id'], name=op.f('fk_stock_freeze_sku_id_sku')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_stock_freeze_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_freeze'))
    )
    with op.batch_alter_table('stock_freeze', schema=None) as batch_op:
        batch_op.create_index('ix_stock_freeze_warehouse_status', ['warehouse_id', 'status'], unique=False)

    op.create_table('transfer_order',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('from_warehouse_id', sa.Integer(), nullable=False),
    sa.Column('to_warehouse_id', sa.Integer(), nullable=False),
    sa.Column('external_ref', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('ship_posting_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('receipt_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['from_warehouse_id'], ['warehouse.id'], name=op.f('fk_transfer_order_from_warehouse_id_warehouse')),
    sa.ForeignKeyConstraint(['owner_id'], ['owner.id'], name=op.f('fk_transfer_order_owner_id_owner')),
    sa.ForeignKeyConstraint(['receipt_id'], ['receipt.id'], name=op.f('fk_transfer_order_receipt_id_receipt')),
    sa.ForeignKeyConstraint(['ship_posting_id'], ['posting.id'], name=op.f('fk_transfer_order_ship_posting_id_posting')),
    sa.ForeignKeyConstraint(['to_warehouse_id'], ['warehouse.id'], name=op.f('fk_transfer_order_to_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_order')),
    sa.UniqueConstraint('owner_id', 'external_ref', name=op.f('uq_transfer_order_owner_id_external_ref'))
    )
    op.create_table('work_order',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('kit_sku_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('posting_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['kit_sku_id'], ['sku.id'], name=op.f('fk_work_order_kit_sku_id_sku')),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_work_order_location_id_location')),
    sa.ForeignKeyConstraint(['owner_id'], ['owner.id'], name=op.f('fk_work_order_owner_id_owner')),
    sa.ForeignKeyConstraint(['posting_id'], ['posting.id'], name=op.f('fk_work_order_posting_id_posting')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_work_order_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_order'))
    )
    op.create_table('count_line',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('count_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('serial', sa.String(length=64), nullable=True),
    sa.Column('container_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('snapshot_quantity', sa.BigInteger(), nullable=False),
    sa.Column('counted_quantity', sa.BigInteger(), nullable=True),
    sa.Column('counted_by', sa.String(length=64), nullable=True),
    sa.Column('counted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('book_at_count', sa.BigInteger(), nullable=True),
    sa.Column('recount_quantity', sa.BigInteger(), nullable=True),
    sa.Column('recounted_by', sa.String(length=64), nullable=True),
    sa.Column('recounted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['container_id'], ['container.id'], name=op.f('fk_count_line_container_id_container')),
    sa.ForeignKeyConstraint(['count_id'], ['stock_count.id'], name=op.f('fk_count_line_count_id_stock_count')),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_count_line_location_id_location')),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_count_line_lot_id_lot')),
    sa.ForeignKeyConstraint(['owner_id'], ['owner.id'], name=op.f('fk_count_line_owner_id_owner')),
    sa.ForeignKeyConstraint(['sku_id'], ['sku.id'], name=op.f('fk_count_line_sku_id_sku')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_count_line'))
    )
    with op.batch_alter_table('count_line', schema=None) as batch_op:
        batch_op.create_index('ix_count_line_count', ['count_id'], unique=False)

    op.create_table('transfer_line',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('transfer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('serial', sa.String(length=64), nullable=True),
    sa.Column('from_location_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('shipped_quantity', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('received_quantity', sa.BigInteger(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['from_location_id'], ['location.id'], name=op.f('fk_transfer_line_from_location_id_location')),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_transfer_line_lot_id_lot')),
    sa.ForeignKeyConstraint(['sku_id'], ['sku.id'], name=op.f('fk_transfer_line_sku_id_sku')),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfer_order.id'], name=op.f('fk_transfer_line_transfer_id_transfer_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_line')),
    sa.UniqueConstraint('transfer_id', 'line_no', name=op.f('uq_transfer_line_transfer_id_line_no'))
    )


def downgrade() -> None:
    op.drop_table('transfer_line')
    with op.batch_alter_table('count_line', schema=None) as batch_op:
        batch_op.drop_index('ix_count_line_count')

    op.drop_table('count_line')
    op.drop_table('work_order')
    op.drop_table('transfer_order')
    with op.batch_alter_table('stock_freeze', schema=None) as batch_op:
        batch_op.drop_index('ix_stock_freeze_warehouse_status')

    op.drop_table('stock_freeze')
    with op.batch_alter_table('stock_count', schema=None) as batch_op:
        batch_op.drop_index('ix_stock_count_warehouse_status')

    op.drop_table('stock_count')
    op.drop_table('kit_component')
    op.drop_table('count_plan')
