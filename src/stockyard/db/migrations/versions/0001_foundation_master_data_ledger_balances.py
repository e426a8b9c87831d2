"""foundation: master data, ledger, balances

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 14:17:10.439475
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('carrier',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('scac', sa.String(length=8), nullable=True),
    sa.Column('service_levels', sa.JSON(), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_carrier')),
    sa.UniqueConstraint('code', name=op.f('uq_carrier_code'))
    )
    op.create_table('idempotency_key',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('principal', sa.String(length=128), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('response_status', sa.Integer(), nullable=True),
    sa.Column('response_body', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.PrimaryKeyConstraint('key', 'principal', name=op.f('pk_idempotency_key'))
    )
    op.create_table('owner',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('contact', sa.JSON(), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_owner')),
    sa.UniqueConstraint('code', name=op.f('uq_owner_code'))
    )
    op.create_table('posting',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('doc_type', sa.String(length=32), nullable=True),
    sa.Column('doc_ref', sa.String(length=128), nullable=True),
    sa.Column('user_name', sa.String(length=128), nullable=False),
    sa.Column('reverses_posting_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.ForeignKeyConstraint(['reverses_posting_id'], ['posting.id'], name=op.f('fk_posting_reverses_posting_id_posting')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_posting')),
    sa.UniqueConstraint('reverses_posting_id', name=op.f('uq_posting_reverses_posting_id'))
    )
    with op.batch_alter_table('posting', schema=None) as batch_op:
        batch_op.create_index('ix_posting_doc', ['doc_type', 'doc_ref'], unique=False)

    op.create_table('warehouse',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.JSON(), nullable=True),
    sa.Column('timezone', sa.String(length=64), server_default='UTC', nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warehouse')),
    sa.UniqueConstraint('code', name=op.f('uq_warehouse_code'))
    )
    op.create_table('container',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('lpn', sa.String(length=32), nullable=False),
    sa.Column('sscc', sa.String(length=18), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_container_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_container')),
    sa.UniqueConstraint('lpn', name=op.f('uq_container_lpn')),
    sa.UniqueConstraint('sscc', name=op.f('uq_container_sscc'))
    )
    op.create_table('customer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('contact_name', sa.String(length=200), nullable=True),
    sa.Column('phone', sa.String(length=64), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('address', sa.JSON(), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['owner.id'], name=op.f('fk_customer_owner_id_owner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer')),
    sa.UniqueConstraint('owner_id', 'code', name=op.f('uq_customer_owner_id_code'))
    )
    op.create_table('sku',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('specification', sa.String(length=200), nullable=True),
    sa.Column('base_uom', sa.String(length=3), nullable=False),
    sa.Column('decimals', sa.Integer(), server_default='0', nullable=False),
    sa.Column('length', sa.BigInteger(), nullable=True),
    sa.Column('width', sa.BigInteger(), nullable=True),
    sa.Column('height', sa.BigInteger(), nullable=True),
    sa.Column('volume', sa.BigInteger(), nullable=True),
    sa.Column('weight', sa.BigInteger(), nullable=True),
    sa.Column('category', sa.String(length=64), nullable=True),
    sa.Column('abc_class', sa.String(length=1), nullable=True),
    sa.Column('lot_control', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('expiry_control', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('shelf_life_days', sa.Integer(), nullable=True),
    sa.Column('serial_control', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('storage_condition', sa.String(length=32), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['owner.id'], name=op.f('fk_sku_owner_id_owner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sku')),
    sa.UniqueConstraint('owner_id', 'code', name=op.f('uq_sku_owner_id_code'))
    )
    op.create_table('supplier',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('contact_name', sa.String(length=200), nullable=True),
    sa.Column('phone', sa.String(length=64), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('address', sa.JSON(), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['owner.id'], name=op.f('fk_supplier_owner_id_owner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier')),
    sa.UniqueConstraint('owner_id', 'code', name=op.f('uq_supplier_owner_id_code'))
    )
    op.create_table('zone',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_zone_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zone')),
    sa.UniqueConstraint('warehouse_id', 'code', name=op.f('uq_zone_warehouse_id_code'))
    )
    op.create_table('location',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('virtual_kind', sa.String(length=16), nullable=True),
    sa.Column('aisle', sa.String(length=16), nullable=True),
    sa.Column('bay', sa.String(length=16), nullable=True),
    sa.Column('level', sa.String(length=16), nullable=True),
    sa.Column('position', sa.String(length=16), nullable=True),
    sa.Column('x', sa.BigInteger(), nullable=True),
    sa.Column('y', sa.BigInteger(), nullable=True),
    sa.Column('pick_sequence', sa.Integer(), nullable=True),
    sa.Column('max_volume', sa.BigInteger(), nullable=True),
    sa.Column('max_weight', sa.BigInteger(), nullable=True),
    sa.Column('max_units', sa.BigInteger(), nullable=True),
    sa.Column('max_pallets', sa.Integer(), nullable=True),
    sa.Column('mix_skus', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('mix_lots', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('status', sa.String(length=16), server_default='active', nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_location_warehouse_id_warehouse')),
    sa.ForeignKeyConstraint(['zone_id'], ['zone.id'], name=op.f('fk_location_zone_id_zone')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_location')),
    sa.UniqueConstraint('warehouse_id', 'code', name=op.f('uq_location_warehouse_id_code'))
    )
    with op.batch_alter_table('location', schema=None) as batch_op:
        batch_op.create_index('ix_location_zone', ['zone_id'], unique=False)

    op.create_table('lot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('production_date', sa.Date(), nullable=True),
    sa.Column('expiry_date', sa.Date(), nullable=True),
    sa.Column('attributes', sa.JSON(), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['owner.id'], name=op.f('fk_lot_owner_id_owner')),
    sa.ForeignKeyConstraint(['sku_id'], ['sku.id'], name=op.f('fk_lot_sku_id_sku')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lot')),
    sa.UniqueConstraint('sku_id', 'number', name=op.f('uq_lot_sku_id_number'))
    )
    op.create_table('sku_barcode',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('barcode', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('pack_level', sa.String(length=8), server_default='each', nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['owner.id'], name=op.f('fk_sku_barcode_owner_id_owner')),
    sa.ForeignKeyConstraint(['sku_id'], ['sku.id'], name=op.f('fk_sku_barcode_sku_id_sku')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sku_barcode')),
    sa.UniqueConstraint('owner_id', 'barcode', name=op.f('uq_sku_barcode_owner_id_barcode'))
    )
    with op.batch_alter_table('sku_barcode', schema=None) as batch_op:
        batch_op.create_index('ix_sku_barcode_sku', ['sku_id'], unique=False)

    op.create_table('sku_pack',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('uom', sa.String(length=3), nullable=False),
    sa.Column('factor', sa.BigInteger(), nullable=False),
    sa.Column('decimals', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['sku_id'], ['sku.id'], name=op.f('fk_sku_pack_sku_id_sku')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sku_pack')),
    sa.UniqueConstraint('sku_id', 'level', name=op.f('uq_sku_pack_sku_id_level'))
    )
    op.create_table('allocation_entry',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('posting_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('serial', sa.String(length=64), nullable=True),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('container_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.CheckConstraint('quantity <> 0', name=op.f('ck_allocation_entry_quantity_not_zero')),
    sa.ForeignKeyConstraint(['container_id'], ['container.id'], name=op.f('fk_allocation_entry_container_id_container')),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_allocation_entry_location_id_location')),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_allocation_entry_lot_id_lot')),
    sa.ForeignKeyConstraint(['owner_id'], ['owner.id'], name=op.f('fk_allocation_entry_owner_id_owner')),
    sa.ForeignKeyConstraint(['posting_id'], ['posting.id'], name=op.f('fk_allocation_entry_posting_id_posting')),
    sa.ForeignKeyConstraint(['sku_id'], ['sku.id'], name=op.f('fk_allocation_entry_sku_id_sku')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allocation_entry'))
    )
    with op.batch_alter_table('allocation_entry', schema=None) as batch_op:
        batch_op.create_index('ix_allocation_entry_posting', ['posting_id'], unique=False)

    op.create_table('balance',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('serial', sa.String(length=64), nullable=True),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('container_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('is_virtual', sa.Boolean(), nullable=False),
    sa.Column('on_hand', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('allocated', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.CheckConstraint("status = 'available' OR allocated = 0", name=op.f('ck_balance_allocated_only_available')),
    sa.CheckConstraint('is_virtual OR (on_hand >= 0 AND allocated >= 0 AND allocated <= on_hand)', name=op.f('ck_balance_physical_not_negative')),
    sa.CheckConstraint('serial IS NULL OR is_virtual OR on_hand <= 1000000', name=op.f('ck_balance_serial_at_most_one')),
    sa.ForeignKeyConstraint(['container_id'], ['container.id'], name=op.f('fk_balance_container_id_container')),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_balance_location_id_location')),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_balance_lot_id_lot')),
    sa.ForeignKeyConstraint(['owner_id'], ['owner.id'], name=op.f('fk_balance_owner_id_owner')),
    sa.ForeignKeyConstraint(['sku_id'], ['sku.id'], name=op.f('fk_balance_sku_id_sku')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_balance_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_balance')),
    sa.UniqueConstraint('key', name=op.f('uq_balance_key'))
    )
    with op.batch_alter_table('balance', schema=None) as batch_op:
        batch_op.create_index('ix_balance_container', ['container_id'], unique=False)
        batch_op.create_index('ix_balance_location', ['location_id'], unique=False)
        batch_op.create_index('ix_balance_lot', ['lot_id'], unique=False)
        batch_op.create_index('ix_balance_owner_wh', ['owner_id', 'warehouse_id'], unique=False)
        batch_op.create_index('ix_balance_sku_location', ['sku_id', 'location_id'], unique=False)
        batch_op.create_index('uq_balance_serial_in_stock', ['sku_id', 'serial'], unique=True, sqlite_where=sa.text('serial IS NOT NULL AND NOT is_virtual AND on_hand > 0'), postgresql_where=sa.text('serial IS NOT NULL AND NOT is_virtual AND on_hand > 0'))

    op.create_table('movement',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('posting_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('serial', sa.String(length=64), nullable=True),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('from_location_id', sa.Integer(), nullable=False),
    sa.Column('from_container_id', sa.Integer(), nullable=True),
    sa.Column('from_status', sa.String(length=16), nullable=False),
    sa.Column('to_location_id', sa.Integer(), nullable=False),
    sa.Column('to_container_id', sa.Integer(), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_movement_quantity_positive')),
    sa.ForeignKeyConstraint(['from_container_id'], ['container.id'], name=op.f('fk_movement_from_container_id_container')),
    sa.ForeignKeyConstraint(['from_location_id'], ['location.id'], name=op.f('fk_movement_from_location_id_location')),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_movement_lot_id_lot')),
    sa.ForeignKeyConstraint(['owner_id'], ['owner.id'], name=op.f('fk_movement_owner_id_owner')),
    sa.ForeignKeyConstraint(['posting_id'], ['posting.id'], name=op.f('fk_movement_posting_id_posting')),
    sa.ForeignKeyConstraint(['sku_id'], ['sku.id'], name=op.f('fk_movement_sku_id_sku')),
    sa.ForeignKeyConstraint(['to_container_id'], ['container.id'], name=op.f('fk_movement_to_container_id_container')),
    sa.ForeignKeyConstraint(['to_location_id'], ['location.id'], name=op.f('fk_movement_to_location_id_location')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_movement'))
    )
    with op.batch_alter_table('movement', schema=None) as batch_op:
        batch_op.create_index('ix_movement_from', ['from_location_id', 'created_at'], unique=False)
        batch_op.create_index('ix_movement_posting', ['posting_id'], unique=False)
        batch_op.create_index('ix_movement_sku_time', ['sku_id', 'created_at'], unique=False)
        batch_op.create_index('ix_movement_to', ['to_location_id', 'created_at'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('movement', schema=None) as batch_op:
        batch_op.drop_index('ix_movement_to')
        batch_op.drop_index('ix_movement_sku_time')
        batch_op.drop_index('ix_movement_posting')
        batch_op.drop_index('ix_movement_from')

    op.drop_table('movement')
    with op.batch_alter_table('balance', schema=None) as batch_op:
        batch_op.drop_index('uq_balance_serial_in_stock', sqlite_where=sa.text('serial IS NOT NULL AND NOT is_virtual AND on_hand > 0'), postgresql_where=sa.text('serial IS NOT NULL AND NOT is_virtual AND on_hand > 0'))
        batch_op.drop_index('ix_balance_sku_location')
        batch_op.drop_index('ix_balance_owner_wh')
        batch_op.drop_index('ix_balance_lot')
        batch_op.drop_index('ix_balance_location')
        batch_op.drop_index('ix_balance_container')

    op.drop_table('balance')
    with op.batch_alter_table('allocation_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_allocation_entry_posting')

    op.drop_table('allocation_entry')
    op.drop_table('sku_pack')
    with op.batch_alter_table('sku_barcode', schema=None) as batch_op:
        batch_op.drop_index('ix_sku_barcode_sku')

    op.drop_table('sku_barcode')
    op.drop_table('lot')
    with op.batch_alter_table('location', schema=None) as batch_op:
        batch_op.drop_index('ix_location_zone')

    op.drop_table('location')
    op.drop_table('zone')
    op.drop_table('supplier')
    op.drop_table('sku')
    op.drop_table('customer')
    op.drop_table('container')
    op.drop_table('warehouse')
    with op.batch_alter_table('posting', schema=None) as batch_op:
        batch_op.drop_index('ix_posting_doc')

    op.drop_table('posting')
    op.drop_table('owner')
    op.drop_table('idempotency_key')
    op.drop_table('carrier')

