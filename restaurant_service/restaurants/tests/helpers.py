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
