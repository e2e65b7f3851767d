"""What one service publishes for others to read, declared once: the publisher and every reader import
the same module (docs/architecture/contracts.md).

A contract module holds a published topic's or read model's key builders and its payload's shape,
nothing of the rules that make the payload: those stay with the service that owns the data.
- `order_stream`: the order's live stream (`order:{id}`), written by the order service (status,
  estimate) and the delivery service (the courier's position);
- `order_location`: the courier's latest position per order (`order-location:{id}`), published by
  the delivery service, read by the order service;
- `operator_console`: the operators' console stream (`operator:city`), served by the order service
  (its orders), written also by the delivery service (its couriers);
- `restaurant_terms`: a restaurant's terms for placement, published by the restaurant service, read
  by the order service;
- `customer_addresses`: customers' delivery addresses, published by the customer service, read by
  the order service.
"""
