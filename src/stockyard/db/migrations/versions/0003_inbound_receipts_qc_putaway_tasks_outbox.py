"""inbound receipts qc putaway tasks outbox

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 18:20:59.697190
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('outbox_event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('topic', sa.String(length=64), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('aggregate_type', sa.String(length=32), nullable=False),
    sa.Column('aggregate_id', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['owner.id'], name=op.f('fk_outbox_event_owner_id_owner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_event'))
    )
    with op.batch_alter_table('outbox_event', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_event_undelivered', ['delivered_at', 'id'], unique=False)

    op.create_table('putaway_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('policy', sa.String(length=24), nullable=False),
    sa.Column('target_zone_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('sku_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=64), nullable=True),
    sa.Column('abc_class', sa.String(length=1), nullable=True),
    sa.Column('storage_condition', sa.String(length=32), nullable=True),
    sa.Column('receipt_type', sa.String(length=24), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=True),
    sa.Column('lot_controlled', sa.Boolean(), nullable=True),
    sa.Column('expires_within_days', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['owner.id'], name=op.f('fk_putaway_rule_owner_id_owner')),
    sa.ForeignKeyConstraint(['sku_id'], ['sku.id'], name=op.f('fk_putaway_rule_sku_id_sku')),
    sa.ForeignKeyConstraint(['target_zone_id'], ['zone.id'], name=op.f('fk_putaway_rule_target_zone_id_zone')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_putaway_rule_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_putaway_rule'))
    )
    with op.batch_alter_table('putaway_rule', schema=None) as batch_op:
        batch_op.create_index('ix_putaway_rule_warehouse', ['warehouse_id', 'priority'], unique=False)

    op.create_table('receipt',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('external_ref', sa.String(length=64), nullable=False),
    sa.Column('type', sa.String(length=24), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=True),
    sa.Column('expected_date', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['owner.id'], name=op.f('fk_receipt_owner_id_owner')),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], name=op.f('fk_receipt_supplier_id_supplier')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_receipt_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipt')),
    sa.UniqueConstraint('owner_id', 'external_ref', name=op.f('uq_receipt_owner_id_external_ref'))
    )
    with op.batch_alter_table('receipt', schema=None) as batch_op:
        batch_op.create_index('ix_receipt_warehouse_status', ['warehouse_id', 'status'], unique=False)

    op.create_table('qc_inspection',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('receipt_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('container_id', sa.Integer(), nullable=True),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('sampled_quantity', sa.BigInteger(), nullable=False),
    sa.Column('result', sa.String(length=16), nullable=False),
    sa.Column('passed_quantity', sa.BigInteger(), nullable=False),
    sa.Column('damaged_quantity', sa.BigInteger(), nullable=False),
    sa.Column('returned_quantity', sa.BigInteger(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('posting_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('inspector', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['container_id'], ['container.id'], name=op.f('fk_qc_inspection_container_id_container')),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_qc_inspection_location_id_location')),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_qc_inspection_lot_id_lot')),
    sa.ForeignKeyConstraint(['owner_id'], ['owner.id'], name=op.f('fk_qc_inspection_owner_id_owner')),
    sa.ForeignKeyConstraint(['posting_id'], ['posting.id'], name=op.f('fk_qc_inspection_posting_id_posting')),
    sa.ForeignKeyConstraint(['receipt_id'], ['receipt.id'], name=op.f('fk_qc_inspection_receipt_id_receipt')),
    sa.ForeignKeyConstraint(['sku_id'], ['sku.id'], name=op.f('fk_qc_inspection_sku_id_sku')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qc_inspection'))
    )
    with op.batch_alter_table('qc_inspection', schema=None) as batch_op:
        batch_op.create_index('ix_qc_inspection_receipt', ['receipt_id'], unique=False)

    op.create_table('receipt_line',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('receipt_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('expected_quantity', sa.BigInteger(), nullable=False),
    sa.Column('ordered_quantity', sa.BigInteger(), nullable=False),
    sa.Column('ordered_uom', sa.String(length=3), nullable=False),
    sa.Column('expected_lot', sa.String(length=64), nullable=True),
    sa.Column('expected_expiry', sa.Date(), nullable=True),
    sa.Column('expected_serials', sa.JSON(), nullable=True),
    sa.Column('received_quantity', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('damaged_quantity', sa.BigInteger(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['receipt_id'], ['receipt.id'], name=op.f('fk_receipt_line_receipt_id_receipt')),
    sa.ForeignKeyConstraint(['sku_id'], ['sku.id'], name=op.f('fk_receipt_line_sku_id_sku')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipt_line')),
    sa.UniqueConstraint('receipt_id', 'line_no', name=op.f('uq_receipt_line_receipt_id_line_no'))
    )
    with op.batch_alter_table('receipt_line', schema=None) as batch_op:
        batch_op.create_index('ix_receipt_line_sku', ['sku_id'], unique=False)

    op.create_table('sku_home',
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_sku_home_location_id_location')),
    sa.ForeignKeyConstraint(['sku_id'], ['sku.id'], name=op.f('fk_sku_home_sku_id_sku')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_sku_home_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('sku_id', 'warehouse_id', name=op.f('pk_sku_home'))
    )
    op.create_table('task',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('receipt_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('serial', sa.String(length=64), nullable=True),
    sa.Column('stock_status', sa.String(length=16), nullable=False),
    sa.Column('from_location_id', sa.Integer(), nullable=False),
    sa.Column('from_container_id', sa.Integer(), nullable=True),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('done_quantity', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('to_location_id', sa.Integer(), nullable=True),
    sa.Column('rule_id', sa.Integer(), nullable=True),
    sa.Column('explanation', sa.JSON(), nullable=True),
    sa.Column('assigned_to', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['from_container_id'], ['container.id'], name=op.f('fk_task_from_container_id_container')),
    sa.ForeignKeyConstraint(['from_location_id'], ['location.id'], name=op.f('fk_task_from_location_id_location')),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_task_lot_id_lot')),
    sa.ForeignKeyConstraint(['owner_id'], ['owner.id'], name=op.f('fk_task_owner_id_owner')),
    sa.ForeignKeyConstraint(['receipt_id'], ['receipt.id'], name=op.f('fk_task_receipt_id_receipt')),
    sa.ForeignKeyConstraint(['rule_id'], ['putaway_rule.id'], name=op.f('fk_task_rule_id_putaway_rule')),
    sa.ForeignKeyConstraint(['sku_id'], ['sku.id'], name=op.f('fk_task_sku_id_sku')),
    sa.ForeignKeyConstraint(['to_location_id'], ['location.id'], name=op.f('fk_task_to_location_id_location')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_task_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task'))
    )
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index('ix_task_open', ['warehouse_id', 'kind', 'status'], unique=False)
        batch_op.create_index('ix_task_to_location', ['to_location_id', 'status'], unique=False)

    op.create_table('receipt_event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('receipt_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('receipt_line_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('posting_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('serial', sa.String(length=64), nullable=True),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('damaged_quantity', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('container_id', sa.Integer(), nullable=True),
    sa.Column('user_name', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['container_id'], ['container.id'], name=op.f('fk_receipt_event_container_id_container')),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_receipt_event_location_id_location')),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_receipt_event_lot_id_lot')),
    sa.ForeignKeyConstraint(['posting_id'], ['posting.id'], name=op.f('fk_receipt_event_posting_id_posting')),
    sa.ForeignKeyConstraint(['receipt_id'], ['receipt.id'], name=op.f('fk_receipt_event_receipt_id_receipt')),
    sa.ForeignKeyConstraint(['receipt_line_id'], ['receipt_line.id'], name=op.f('fk_receipt_event_receipt_line_id_receipt_line')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipt_event'))
    )
    with op.batch_alter_table('receipt_event', schema=None) as batch_op:
        batch_op.create_index('ix_receipt_event_receipt', ['receipt_id'], unique=False)

    op.create_table('task_confirmation',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('task_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('posting_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('to_location_id', sa.Integer(), nullable=False),
    sa.Column('to_container_id', sa.Integer(), nullable=True),
    sa.Column('overridden', sa.Boolean(), nullable=False),
    sa.Column('override_reason', sa.String(length=200), nullable=True),
    sa.Column('user_name', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['posting_id'], ['posting.id'], name=op.f('fk_task_confirmation_posting_id_posting')),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_task_confirmation_task_id_task')),
    sa.ForeignKeyConstraint(['to_container_id'], ['container.id'], name=op.f('fk_task_confirmation_to_container_id_container')),
    sa.ForeignKeyConstraint(['to_location_id'], ['location.id'], name=op.f('fk_task_confirmation_to_location_id_location')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_confirmation'))
    )
    with op.batch_alter_table('task_confirmation', schema=None) as batch_op:
        batch_op.create_index('ix_task_confirmation_task', ['task_id'], unique=False)

    with op.batch_alter_table('owner', schema=None) as batch_op:
        batch_op.add_column(sa.Column('over_receipt_pct', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('min_shelf_life_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('qc_required', sa.Boolean(), server_default=sa.text('false'), nullable=False))
        batch_op.add_column(sa.Column('qc_receipt_types', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('blind_receiving', sa.Boolean(), server_default=sa.text('false'), nullable=False))

    with op.batch_alter_table('sku', schema=None) as batch_op:
        batch_op.add_column(sa.Column('over_receipt_pct', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('min_shelf_life_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('qc_required', sa.Boolean(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('sku', schema=None) as batch_op:
        batch_op.drop_column('qc_required')
        batch_op.drop_column('min_shelf_life_days')
        batch_op.drop_column('over_receipt_pct')

    with op.batch_alter_table('owner', schema=None) as batch_op:
        batch_op.drop_column('blind_receiving')
        batch_op.drop_column('qc_receipt_types')
        batch_op.drop_column('qc_required')
        batch_op.drop_column('min_shelf_life_days')
        batch_op.drop_column('over_receipt_pct')

    with op.batch_alter_table('task_confirmation', schema=None) as batch_op:
        batch_op.drop_index('ix_task_confirmation_task')

    op.drop_table('task_confirmation')
    with op.batch_alter_table('receipt_event', schema=None) as batch_op:
        batch_op.drop_index('ix_receipt_event_receipt')

    op.drop_table('receipt_event')
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_to_location')
        batch_op.drop_index('ix_task_open')

    op.drop_table('task')
    op.drop_table('sku_home')
    with op.batch_alter_table('receipt_line', schema=None) as batch_op:
        batch_op.drop_index('ix_receipt_line_sku')

    op.drop_table('receipt_line')
    with op.batch_alter_table('qc_inspection', schema=None) as batch_op:
        batch_op.drop_index('ix_qc_inspection_receipt')

    op.drop_table('qc_inspection')
    with op.batch_alter_table('receipt', schema=None) as batch_op:
        batch_op.drop_index('ix_receipt_warehouse_status')

    op.drop_table('receipt')
    with op.batch_alter_table('putaway_rule', schema=None) as batch_op:
        batch_op.drop_index('ix_putaway_rule_warehouse')

    op.drop_table('putaway_rule')
    with op.batch_alter_table('outbox_event', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_event_undelivered')

    op.drop_table('outbox_event')
