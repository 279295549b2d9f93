"""API key parsing, the authorisation table and city scoping (recommender.security)."""

from __future__ import annotations

import pytest

from recommender import security
from recommender.errors import ForbiddenError, ValidationError
from recommender.security import POLICY, ROLES, Principal

BB = Principal(key_id=1, role="promotion_office", city_code="340300")
ANALYST = Principal(key_id=2, role="analyst")


@pytest.mark.parametrize(
    ("x_api_key", "authorization", "expected"),
    [
        ("cm_abc", None, "cm_abc"),
        ("  cm_abc ", "Bearer cm_other", "cm_abc"),
        (None, "Bearer cm_xyz", "cm_xyz"),
        (None, "bearer   cm_xyz ", "cm_xyz"),
        (None, "Basic dXNlcjpwdw==", None),
        ("", "Bearer ", None),
        (None, None, None),
    ],
)
def test_parse_key(x_api_key: str | None, authorization: str | None, expected: str | None) -> None:
    assert security.parse_key(x_api_key=x_api_key, authorization=authorization) == expected


def test_policy_names_only_known_roles_and_admin_may_do_everything() -> None:
    for resource, actions in POLICY.items():
        for action, roles in actions.items():
            assert roles <= set(ROLES), (resource, action)
            assert "admin" in roles, (resource, action)
    assert security.allowed_roles("keys", "write") == {"admin"}
    with pytest.raises(KeyError, match="no policy for resource 'nope'"):
        security.allowed_roles("nope", "read")


def test_scoped_list_uses_the_keys_city_and_refuses_another() -> None:
    assert BB.list_city("parks", None) == "340300"
    assert BB.list_city("parks", "340300") == "340300"
    with pytest.raises(ForbiddenError, match="limited to city 340300; got a request for city"):
        BB.list_city("events", "340400")
    # enterprises are shared: the filter is the caller's
    assert BB.list_city("enterprises", "340400") == "340400"
    assert ANALYST.list_city("parks", None) is None


def test_check_city_accepts_any_matching_city() -> None:
    BB.check_city("outcomes", ["330200", "340300"], what="outcome 1")
    with pytest.raises(ForbiddenError, match="belongs to city 330200, 340400"):
        BB.check_city("outcomes", ["340400", "330200"], what="outcome 1")
    with pytest.raises(ForbiddenError, match=r"\(unknown\)"):
        BB.check_city("needs", ["", ""], what="need N-1")
    ANALYST.check_city("parks", ["340400"], what="park P")


def test_role_check_names_the_allowed_roles() -> None:
    with pytest.raises(
        ForbiddenError, match=r"role 'analyst' may not do this; expected one of \['admin'\]"
    ):
        ANALYST.require_role({"admin"})


@pytest.mark.parametrize(
    ("role", "city", "message"),
    [
        ("promotion_office", None, "needs a city"),
        ("promotion_office", "999999", "known 6-digit adcode"),
        ("organiser", "340300", "only \\['promotion_office'\\] keys carry a city"),
        ("boss", None, "role must be one of"),
    ],
)
def test_key_request_rules(role: str, city: str | None, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        security.check_key_request(role=role, city_code=city, known_cities={"340300"})


def test_key_request_accepts_valid_ones() -> None:
    security.check_key_request(role="promotion_office", city_code="340300", known_cities={"340300"})
    security.check_key_request(role="admin", city_code=None, known_cities=set())
