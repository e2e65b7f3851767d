ADDRESS = {"line1": "1 Canal St", "city": "Amsterdam", "postcode": "1011", "lat": 52.37, "lng": 4.89}


def create_restaurant(client, headers, **fields):
    body = {"name": "Pho Palace", "cuisine": "Vietnamese", "address": ADDRESS, **fields}
    response = client.post("/restaurants", body, format="json", headers=headers)
    assert response.status_code == 201, response.content
    return response.json()


def add_item(client, headers, restaurant_id, **fields):
    body = {"name": "Pho bo", "price_cents": 1250, **fields}
    response = client.post(f"/restaurants/{restaurant_id}/menu/items", body, format="json", headers=headers)
    assert response.status_code == 201, response.content
    return response.json()


def order_quote(client, service_headers, restaurant_id, item_ids) -> dict:
    """The internal quote the order service asks for, checked to be a 200."""
    response = client.post(
        f"/internal/restaurants/{restaurant_id}/order-quote",
        {"menu_item_ids": item_ids},
        format="json",
        headers=service_headers,
    )
    assert response.status_code == 200, response.content
    return response.json()
