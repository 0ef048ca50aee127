"""The OpenAPI document covers every route; /metrics reports what happened."""
import re
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


# A value each path parameter accepts, so that a request reaches its handler.
PATH_PARAMS = {"code": "140105", "kind": "registration", "id": "1",
               "no": "ZK20260101" + "0" * 16, "trade_no": "T1", "provider": "alipay",
               "action": "submit",
               "queue": "identity",
               "notify_id": "0" * 32}


def test_every_operation_has_an_operation_id_and_the_security_the_server_enforces(server):
    """Client generators name methods after operationId (stable lowerCamelCase,
    unique); security says which operations need the session cookie: exactly
    those the server answers 401 NOT_LOGGED_IN without one."""
    listed = subprocess.run([h.binary("zikao-server"), "--list-routes"],
                            env=server.env, capture_output=True, text=True, check=True).stdout
    routes = [line.split(" ", 1) for line in listed.strip().splitlines()]
    doc = yaml.safe_load(server.get("/api/v1/openapi.yaml").body)
    schemes = set(doc["components"]["securitySchemes"])
    seen, wrong = {}, []
    for method, pattern in routes:
        op = doc["paths"].get(pattern, {}).get(method.lower())
        if op is None:
            continue  # reported by the test above
        name = f"{method} {pattern}"
        op_id = op.get("operationId")
        if not op_id:
            wrong.append(f"{name}: no operationId")
        elif not re.fullmatch(r"[a-z][a-zA-Z0-9]*", op_id):
            wrong.append(f"{name}: operationId {op_id!r} is not lowerCamelCase")
        elif op_id in seen:
            wrong.append(f"{name}: operationId {op_id} is also {seen[op_id]}'s")
        seen[op_id] = name
        if "security" not in op:
            wrong.append(f"{name}: no security (security: [] for a public operation)")
            continue
        if any(set(req) - schemes for req in op["security"]):
            wrong.append(f"{name}: security names a scheme not in components: {op['security']}")
        # Required: every alternative names a scheme ({} would make it optional).
        documented = bool(op["security"]) and all(op["security"])
        path = re.sub(r"\{(\w+)\}", lambda m: PATH_PARAMS[m.group(1)], pattern)
        r = server.request(method, path)
        enforced = r.status == 401 and b'"NOT_LOGGED_IN"' in r.body
        if documented != enforced:
            wrong.append(f"{name}: security {op['security']}, "
                         f"but without a session it answers {r!r}")
    assert not wrong, "server/openapi.yaml:\n" + "\n".join(wrong)


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
