"""Who delivers to me: browsing by location against the real store and Redis (restaurants/nearby.py)."""

import pytest

from common import geo
from restaurants import nearby
from restaurants.tests.helpers import ADDRESS, create_restaurant

HOME = {"lat": 52.3700, "lng": 4.8900}


def at_km_north(km: float) -> dict:
    """An address `km` north of HOME (a degree of latitude is ~111.2 km)."""
    return {**ADDRESS, "lat": HOME["lat"] + km / 111.195, "lng": HOME["lng"]}


def browse(api_client, **params):
    return api_client.get("/restaurants", {"near": f"{HOME['lat']},{HOME['lng']}", **params})


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [r["name"] for r in response.json()["results"]]


@pytest.fixture
def city(api_client, owner):
    """Five restaurants around HOME: four with coordinates, one without."""
    headers = owner[1]
    return {
        "Near": create_restaurant(api_client, headers, name="Near", address=at_km_north(1), prep_time_min=10),
        "Middle": create_restaurant(api_client, headers, name="Middle", cuisine="pizza", address=at_km_north(4)),
        # 6 km away with a 5 km radius: does not deliver here
        "Small area": create_restaurant(
            api_client, headers, name="Small area", address=at_km_north(6), delivery_radius_km=5
        ),
        # 20 km away with a 25 km radius: does
        "Far reach": create_restaurant(
            api_client, headers, name="Far reach", address=at_km_north(20), delivery_radius_km=25
        ),
        "Nowhere": create_restaurant(
            api_client, headers, name="Nowhere", address={"line1": "x", "city": "y", "postcode": "z"}
        ),
    }


def test_only_restaurants_delivering_here_nearest_first(api_client, city):
    response = browse(api_client)

    assert names(response) == ["Near", "Middle", "Far reach"]
    near = response.json()["results"][0]
    assert near["distance_km"] == pytest.approx(1.0, abs=0.01)
    # 10 minutes to prepare + 1 km at 15 km/h (4 minutes)
    assert near["estimated_delivery_min"] == 14
    assert response.json()["results"][1]["estimated_delivery_min"] == 15 + 16  # default preparation, 4 km


def test_the_edge_of_the_radius_is_inside_and_just_beyond_is_outside(api_client, owner):
    inside = create_restaurant(api_client, owner[1], name="Edge", address=at_km_north(2.99), delivery_radius_km=3)
    create_restaurant(api_client, owner[1], name="Beyond", address=at_km_north(3.02), delivery_radius_km=3)
    km = geo.distance_km(HOME["lat"], HOME["lng"], inside["address"]["lat"], inside["address"]["lng"])

    assert km < 3
    assert names(browse(api_client)) == ["Edge"]


def test_browsing_by_location_combines_with_the_other_filters_and_pages(api_client, city):
    assert names(browse(api_client, cuisine="pizza")) == ["Middle"]
    assert names(browse(api_client, q="far")) == ["Far reach"]

    first = browse(api_client, page_size=2).json()
    second = api_client.get(first["next"]).json()
    assert first["count"] == second["count"] == 3
    assert [r["name"] for r in first["results"] + second["results"]] == ["Near", "Middle", "Far reach"]


def test_nobody_delivers_in_the_middle_of_the_ocean(api_client, city):
    response = api_client.get("/restaurants", {"near": "0,-30"})

    assert response.status_code == 200
    assert response.json()["count"] == 0


@pytest.mark.parametrize(
    "near", ["52.37", "52.37,4.89,1", "north,east", "91,0", "0,181", "nan,0", "inf,0", "52.37;4.89"]
)
def test_a_bad_location_is_a_400_naming_the_parameter(api_client, near):
    response = api_client.get("/restaurants", {"near": near})

    assert response.status_code == 400
    assert "near" in response.json()["error"]["details"]


def test_a_lost_index_is_rebuilt_from_mongodb(api_client, city, redis_client, settings):
    lost = list(redis_client.scan_iter(match=settings.REDIS_KEY_PREFIX + "restaurants:*"))
    assert lost
    redis_client.delete(*lost)  # Redis restarted without its data

    assert names(browse(api_client)) == ["Near", "Middle", "Far reach"]
    assert redis_client.exists(nearby._key("geo-built"))


def test_without_redis_browsing_by_location_reads_mongodb(api_client, city, redis_down):
    assert names(browse(api_client)) == ["Near", "Middle", "Far reach"]


def test_moving_a_restaurant_or_its_area_moves_it_in_the_index(api_client, owner, city):
    headers = owner[1]
    api_client.patch(
        f"/restaurants/{city['Small area']['id']}", {"delivery_radius_km": 7}, format="json", headers=headers
    )
    api_client.patch(
        f"/restaurants/{city['Far reach']['id']}", {"address": at_km_north(60)}, format="json", headers=headers
    )

    assert names(browse(api_client)) == ["Near", "Middle", "Small area"]


def test_a_browse_reads_the_index_not_every_restaurant(api_client, owner, mongo_db):
    """The geo index answers which restaurants cover the point; MongoDB is asked only about those."""
    for n in range(30):
        create_restaurant(api_client, owner[1], name=f"Far {n}", address=at_km_north(50 + n), delivery_radius_km=5)
    create_restaurant(api_client, owner[1], name="Close", address=at_km_north(1))

    assert nearby.covering(lat=HOME["lat"], lng=HOME["lng"])[0][1] == pytest.approx(1.0, abs=0.01)
    assert len(nearby.covering(lat=HOME["lat"], lng=HOME["lng"])) == 1
    assert names(browse(api_client)) == ["Close"]


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"prep_time_min": 0}, "prep_time_min"),
        ({"prep_time_min": 181}, "prep_time_min"),
        ({"prep_time_min": "soon"}, "prep_time_min"),
        ({"delivery_fee_cents": -1}, "delivery_fee_cents"),
        ({"delivery_fee_cents": 1.5}, "delivery_fee_cents"),
        ({"delivery_fee_cents": {"$gt": 0}}, "delivery_fee_cents"),
    ],
)
def test_preparation_time_and_fee_are_validated(api_client, owner, fields, bad):
    response = api_client.post(
        "/restaurants", {"name": "X", "cuisine": "thai", "address": ADDRESS, **fields}, format="json", headers=owner[1]
    )

    assert response.status_code == 400
    assert bad in response.json()["error"]["details"]


def test_preparation_time_and_fee_have_defaults_and_can_change(api_client, owner):
    restaurant = create_restaurant(api_client, owner[1])
    changed = api_client.patch(
        f"/restaurants/{restaurant['id']}",
        {"prep_time_min": 25, "delivery_fee_cents": 299},
        format="json",
        headers=owner[1],
    )

    assert (restaurant["prep_time_min"], restaurant["delivery_fee_cents"]) == (15, 0)
    assert (changed.json()["prep_time_min"], changed.json()["delivery_fee_cents"]) == (25, 299)


@pytest.fixture
def live_customer(live_platform, actors, wire_to_live_platform):
    """A customer of the live platform with an address at HOME; this in-process service asks the
    live customer service where it is. Their tokens come from the live auth service."""
    wire_to_live_platform("restaurant", ["auth", "customer", "order"])
    _customer_id, headers, address_id = actors.customer_with_address()  # the address is at 52.37, 4.89
    return headers, address_id


@pytest.fixture
def jwt_key_pair(live_platform):
    return live_platform.key_pair()


def test_a_customer_browses_by_one_of_their_addresses(api_client, city, live_customer):
    headers, address_id = live_customer

    response = api_client.get("/restaurants", {"address_id": address_id}, headers=headers)

    assert names(response) == ["Near", "Middle", "Far reach"]


def test_browsing_by_address_needs_that_customer(api_client, city, live_customer, issue_token):
    headers, address_id = live_customer
    other_customer = {"Authorization": f"Bearer {issue_token('customer')}"}
    courier = {"Authorization": f"Bearer {issue_token('courier')}"}

    assert api_client.get("/restaurants", {"address_id": address_id}).status_code == 401
    assert api_client.get("/restaurants", {"address_id": address_id}, headers=courier).status_code == 403
    refused = api_client.get("/restaurants", {"address_id": address_id}, headers=other_customer)
    assert (refused.status_code, refused.json()["error"]["code"]) == (404, "address_not_found")
    bad = api_client.get("/restaurants", {"address_id": "not-an-id"}, headers=headers)
    assert bad.status_code == 400
    assert "address_id" in bad.json()["error"]["details"]
    both = api_client.get("/restaurants", {"address_id": address_id, "near": "1,1"}, headers=headers)
    assert both.status_code == 400


@pytest.mark.parametrize("redis_up", [True, False])
def test_browsing_by_location_considers_the_nearest_few_only(api_client, city, settings, redis_up, request):
    if not redis_up:
        request.getfixturevalue("redis_down")
    settings.NEAR_BROWSE_MAX = 3  # Near, Middle, Small area (which does not deliver here); not Far reach

    response = browse(api_client)

    assert names(response) == ["Near", "Middle"]
    assert response.json()["count"] == 2
