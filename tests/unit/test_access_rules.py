"""Rules of access: permissions of roles, passwords, scopes."""

from __future__ import annotations

import pytest

from stockyard.domain.access import (
    BUILTIN_ROLES,
    PERMISSIONS,
    BuiltinRole,
    Scope,
    check_password,
    check_permissions,
    check_role_code,
    permissions_of,
)
from stockyard.domain.errors import InvalidInput


def test_every_role_of_the_articles_exists_and_grants_only_known_permissions() -> None:
    assert {r.value for r in BuiltinRole} == {"system_administrator", "warehouse_manager", "operator",
                                               "data_analyst", "it_support", "coordinator", "finance"}
    for permissions in BUILTIN_ROLES.values():
        assert permissions <= set(PERMISSIONS)
    assert BUILTIN_ROLES[BuiltinRole.SYSTEM_ADMINISTRATOR] == frozenset(PERMISSIONS)
    assert BUILTIN_ROLES[BuiltinRole.FINANCE] == {"reports.read"}
    # Operators and analysts cannot change master data or stock by themselves.
    for role in (BuiltinRole.OPERATOR, BuiltinRole.DATA_ANALYST, BuiltinRole.FINANCE):
        assert not BUILTIN_ROLES[role] & {"masterdata.write", "stock.adjust", "stock.opening", "users.manage"}


def test_permissions_of_several_roles_are_their_union_and_unknown_roles_grant_nothing() -> None:
    custom = {"counter": frozenset({"stock.read"})}
    assert permissions_of(["finance", "counter"], custom) == {"reports.read", "stock.read"}
    assert permissions_of(["retired_role"], custom) == frozenset()


@pytest.mark.parametrize(("password", "code"), [("short", "weak_password"), ("mia-is-the-boss", "weak_password"),
                                                ("aaaaaaaaaaaaaaaa", "weak_password"), ("x" * 257, "invalid")])
def test_weak_passwords_are_refused(password: str, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_password(password, "mia")
    assert caught.value.field == "password" and caught.value.code == code


def test_a_long_passphrase_is_accepted() -> None:
    check_password("blue pallet racking 42", "mia")


def test_permission_and_role_code_checks_name_the_field() -> None:
    assert check_permissions(["stock.read", "masterdata.read", "stock.read"]) == ["masterdata.read", "stock.read"]
    with pytest.raises(InvalidInput) as caught:
        check_permissions(["stock.read", "stock.teleport"])
    assert caught.value.field == "permissions[1]"
    with pytest.raises(InvalidInput):
        check_role_code("operator")
    with pytest.raises(InvalidInput):
        check_role_code("Bad Code")
    assert check_role_code("night_shift") == "night_shift"


def test_scopes() -> None:
    everywhere = Scope()
    assert everywhere.unrestricted and everywhere.allows_location(9, 9, False)
    zone_a = Scope(warehouse_ids=frozenset({1}), zone_ids=frozenset({10}))
    assert zone_a.allows_location(1, 10, False)
    assert not zone_a.allows_location(1, 11, False)
    assert not zone_a.allows_location(2, 10, False)
    # Virtual locations have no zone: in scope wherever their warehouse is.
    assert zone_a.allows_location(1, None, True)
    assert not zone_a.allows_location(2, None, True)
    owner_only = Scope(owner_ids=frozenset({5}))
    assert owner_only.allows_owner(5) and not owner_only.allows_owner(6) and owner_only.allows_warehouse(3)
