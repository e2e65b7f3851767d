"""Great-circle distances."""

import pytest

from common.geo import distance_km, has_coordinates


@pytest.mark.parametrize(
    ("a", "b", "expected_km"),
    [
        ((52.3676, 4.9041), (52.3676, 4.9041), 0.0),  # the same point
        ((52.3702, 4.8952), (51.9244, 4.4777), 57.2),  # Amsterdam - Rotterdam (centres)
        ((51.5074, -0.1278), (48.8566, 2.3522), 343.6),  # London - Paris
        ((0.0, 179.9), (0.0, -179.9), 22.2),  # across the antimeridian, not around the world
        ((90.0, 0.0), (-90.0, 0.0), 20015.1),  # pole to pole
    ],
)
def test_distances_match_known_values(a, b, expected_km):
    assert distance_km(*a, *b) == pytest.approx(expected_km, abs=0.2)


def test_coordinates_are_both_or_nothing():
    assert has_coordinates({"lat": 0.0, "lng": 0.0})
    assert not has_coordinates({"lat": 1.0, "lng": None})
    assert not has_coordinates({"line1": "x"})
    assert not has_coordinates(None)
