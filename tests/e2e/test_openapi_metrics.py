"""The OpenAPI document covers every route; /metrics reports what happened."""
import subprocess

import yaml

import zikao_harness as h


def test_every_route_in_the_route_table_is_in_openapi(server):
    listed = subprocess.run([h.binary("zikao-server"), "--list-routes"],
                            env=server.env, capture_output=True, text=True, check=True).stdout
    routes = [line.split(" ", 1) for line in listed.strip().splitlines()]
    assert len(routes) >= 5
    r = server.get("/api/v1/openapi.yaml")
    assert r.status == 200 and r.header("Content-Type").startswith("application/yaml")
    doc = yaml.safe_load(r.body)
    assert doc["openapi"].startswith("3.1")
    missing = [f"{m} {p}" for m, p in routes
               if p not in doc["paths"] or m.lower() not in doc["paths"][p]]
    assert not missing, f"routes missing from server/openapi.yaml: {missing}"


def test_metrics_count_requests_by_route_and_status(server):
    for _ in range(3):
        server.get("/api/v1/regions/140105")
    server.get("/api/v1/regions/000001")
    server.get("/no/such/path")
    m = server.get("/metrics").body.decode()
    assert 'zikao_http_requests_total{method="GET",route="/api/v1/regions/{code}",status="200"} 3' in m
    assert 'zikao_http_requests_total{method="GET",route="/api/v1/regions/{code}",status="404"} 1' in m
    assert 'route="unmatched",status="404"} 1' in m
    assert "zikao_http_request_duration_seconds_bucket" in m
    assert "zikao_http_open_connections" in m
    assert "zikao_db_pool_ready" in m
    assert "zikao_redis_up 1" in m
