"""GridWatch central API: alerts in, grid events out, lifecycle, grids, devices, users.

Run it::

    gridwatch api serve                       # SQLite file gridwatch-api.db, migrated on start
    GRIDWATCH_API_DATABASE_URL=postgresql+psycopg://user@host/db gridwatch api migrate
    gridwatch api import-grids configs/demo-county-grids.geojson
    gridwatch api add-device edge-01          # prints the edge box's token once
    gridwatch api add-user ops --role operator --scope DX-T01
    gridwatch api escalate --once             # the server also sweeps every 60 s

Routes (OpenAPI at /openapi.json): `POST /v1/alerts` (device token); `GET /v1/events` (filters,
cursor), `GET /v1/events/{code}`, `POST /v1/events/{code}/actions`,
`GET /v1/events/{code}/alerts/{alert_id}/evidence`; `GET /v1/grids`; `GET /v1/stats`;
`POST|GET /v1/webhooks`, `GET /v1/webhooks/{id}/deliveries`, `POST /v1/webhooks/{id}/deactivate|
reactivate`; admin: `POST /v1/admin/grids/import`, `POST /v1/admin/devices`,
`POST /v1/admin/devices/{id}/revoke|rotate`, `POST /v1/admin/users`,
`POST /v1/admin/users/{name}/disable|enable|rotate-token|revoke-token`, `GET /v1/admin/audit`,
`GET /v1/admin/webhooks`; `/healthz` (503 while a background loop is down), `/metrics` (a token when
set). Users see and change only events inside their grid subtree. Request hygiene (bounded bodies,
clean URLs) lives in `middleware`, background loops run under `supervisor`.

Layout: `app` (factory) → `routes/*` (thin) → `services/*` (plain functions over a session) →
`orm/*`; pure logic (clocks, codes, correlation, lifecycle, escalation, grid index) in `logic/*`.
"""
