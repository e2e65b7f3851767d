"""The customers' delivery addresses as the customer service publishes them for the order service,
against the real Redis: what a reader gets before, after and around a change of the address."""

from common.contracts import customer_addresses

HOME = {"label": "Home", "line1": "2 Dam Sq", "city": "Amsterdam", "postcode": "1012", "lat": 52.37, "lng": 4.89}
CUSTOMER = "c" * 24
ADDRESS = "a" * 24


def test_nothing_is_read_before_the_customer_service_published_the_address(redis_client):
    assert customer_addresses.published(CUSTOMER, ADDRESS) is None


def test_a_published_address_is_read_back_as_it_was_published(redis_client):
    customer_addresses.publish(CUSTOMER, ADDRESS, HOME, version=customer_addresses.version(CUSTOMER))

    assert customer_addresses.published(CUSTOMER, ADDRESS) == HOME


def test_a_change_of_any_of_the_customers_addresses_retires_what_was_published(redis_client):
    customer_addresses.publish(CUSTOMER, ADDRESS, HOME, version=customer_addresses.version(CUSTOMER))

    customer_addresses.changed(CUSTOMER)

    assert customer_addresses.published(CUSTOMER, ADDRESS) is None


def test_a_publish_that_read_the_address_before_a_change_is_never_read(redis_client):
    # A read of MongoDB that raced with an edit: it took the version, then the edit landed and
    # retired it, then the old address was published under the retired version.
    version = customer_addresses.version(CUSTOMER)
    customer_addresses.changed(CUSTOMER)
    customer_addresses.publish(CUSTOMER, ADDRESS, HOME, version=version)

    assert customer_addresses.published(CUSTOMER, ADDRESS) is None


def test_another_customers_change_leaves_this_customers_addresses_published(redis_client):
    customer_addresses.publish(CUSTOMER, ADDRESS, HOME, version=customer_addresses.version(CUSTOMER))

    customer_addresses.changed("d" * 24)

    assert customer_addresses.published(CUSTOMER, ADDRESS) == HOME


def test_published_addresses_expire_so_a_lost_change_is_bounded(redis_client, settings):
    settings.ADDRESS_BOOK_TTL_S = 30
    customer_addresses.publish(CUSTOMER, ADDRESS, HOME, version=customer_addresses.version(CUSTOMER))

    ttls = [redis_client.ttl(key) for key in redis_client.scan_iter(match=f"{settings.REDIS_KEY_PREFIX}address:*")]

    assert ttls
    assert all(0 < ttl <= 30 for ttl in ttls)


def test_without_redis_nothing_is_published_or_read_and_nothing_raises(redis_down):
    assert customer_addresses.version(CUSTOMER) is None
    customer_addresses.publish(CUSTOMER, ADDRESS, HOME, version="3")
    customer_addresses.changed(CUSTOMER)

    assert customer_addresses.published(CUSTOMER, ADDRESS) is None
