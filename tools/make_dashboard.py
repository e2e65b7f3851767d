"""Writes helm/food-delivery/dashboards/platform.json (the Grafana dashboard) from the panel list below."""

import json


def panel(pid, title, exprs, x, y, unit="short", w=12, h=8, kind="timeseries"):
    return {
        "id": pid,
        "type": kind,
        "title": title,
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [{"expr": e, "legendFormat": legend, "refId": chr(65 + i)} for i, (e, legend) in enumerate(exprs)],
    }


S = 'service=~"$service"'
panels = [
    {
        "id": 100,
        "type": "row",
        "title": "Golden signals per service",
        "gridPos": {"x": 0, "y": 0, "w": 24, "h": 1},
        "collapsed": False,
    },
    panel(
        1,
        "Traffic (requests/s)",
        [(f"sum by (service) (rate(http_requests_total{{{S}}}[5m]))", "{{service}}")],
        0,
        1,
        "reqps",
    ),
    panel(
        2,
        "Errors (5xx share)",
        [
            (
                f'sum by (service) (rate(http_requests_total{{{S},status=~"5.."}}[5m])) / sum by (service) (rate(http_requests_total{{{S}}}[5m]))',
                "{{service}}",
            )
        ],
        12,
        1,
        "percentunit",
    ),
    panel(
        3,
        "Latency p95 by route",
        [
            (
                f"histogram_quantile(0.95, sum by (le, service, route) (rate(http_request_duration_seconds_bucket{{{S}}}[5m])))",
                "{{service}} {{route}}",
            )
        ],
        0,
        9,
        "s",
    ),
    panel(
        4,
        "Saturation (CPU seconds/s, resident memory)",
        [
            (f"sum by (service) (rate(process_cpu_seconds_total{{{S}}}[5m]))", "cpu {{service}}"),
            (f"sum by (service) (process_resident_memory_bytes{{{S}}})", "rss {{service}}"),
        ],
        12,
        9,
    ),
    {"id": 101, "type": "row", "title": "Gateway", "gridPos": {"x": 0, "y": 17, "w": 24, "h": 1}, "collapsed": False},
    panel(
        5,
        "Gateway requests/s by upstream and status",
        [("sum by (upstream, status) (rate(gateway_request_duration_seconds_count[5m]))", "{{upstream}} {{status}}")],
        0,
        18,
        "reqps",
    ),
    panel(
        6,
        "Gateway p99 latency by route",
        [
            (
                "histogram_quantile(0.99, sum by (le, route) (rate(gateway_request_duration_seconds_bucket[5m])))",
                "{{route}}",
            )
        ],
        12,
        18,
        "s",
    ),
    panel(
        7,
        "Rate-limit rejections/s",
        [("sum by (policy) (rate(gateway_rate_limited_total[5m]))", "{{policy}}")],
        0,
        26,
        "reqps",
    ),
    panel(
        8,
        "Open circuit breakers",
        [("max by (service, upstream) (circuit_breaker_open)", "{{service}} -> {{upstream}}")],
        12,
        26,
    ),
    {"id": 102, "type": "row", "title": "Business", "gridPos": {"x": 0, "y": 34, "w": 24, "h": 1}, "collapsed": False},
    panel(9, "Orders placed per minute", [("sum(rate(orders_placed_total[5m])) * 60", "orders/min")], 0, 35),
    panel(
        10,
        "Order transitions per minute by state",
        [("sum by (to) (rate(order_transitions_total[5m])) * 60", "{{to}}")],
        12,
        35,
    ),
    panel(
        11,
        "Courier assignment wait (p50, p95)",
        [
            ("histogram_quantile(0.5, sum by (le) (rate(courier_assignment_wait_seconds_bucket[15m])))", "p50"),
            ("histogram_quantile(0.95, sum by (le) (rate(courier_assignment_wait_seconds_bucket[15m])))", "p95"),
        ],
        0,
        43,
        "s",
    ),
    panel(12, "Open live streams", [("sum by (kind) (event_streams_open)", "{{kind}}")], 12, 43),
    panel(
        13,
        "Menu and popular cache hit ratio",
        [
            (
                'sum by (cache) (rate(restaurant_cache_requests_total{result="hit"}[5m])) / sum by (cache) (rate(restaurant_cache_requests_total[5m]))',
                "{{cache}}",
            )
        ],
        0,
        51,
        "percentunit",
    ),
    panel(
        14,
        "Couriers assigned per minute",
        [("sum(rate(courier_assignments_total[5m])) * 60", "assignments/min")],
        12,
        51,
    ),
]
dashboard = {
    "uid": "food-delivery",
    "title": "Food delivery platform",
    "tags": ["food-delivery"],
    "timezone": "browser",
    "schemaVersion": 39,
    "version": 1,
    "refresh": "30s",
    "time": {"from": "now-1h", "to": "now"},
    "templating": {
        "list": [
            {"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Data source"},
            {
                "name": "service",
                "type": "query",
                "label": "Service",
                "includeAll": True,
                "multi": True,
                "current": {"text": "All", "value": "$__all"},
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
                "query": "label_values(http_requests_total, service)",
                "refresh": 2,
            },
        ]
    },
    "panels": panels,
}
with open("helm/food-delivery/dashboards/platform.json", "w") as out:
    json.dump(dashboard, out, indent=2)
print(len(panels))
