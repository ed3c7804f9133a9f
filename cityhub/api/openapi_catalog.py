"""OpenAPI for the dataset catalog: /catalog/v1, the CKAN action API and the DCAT-AP exports."""

from __future__ import annotations

from typing import Any

from cityhub.api.openapi_citizen import _op, _param

_OBJ = {"type": "object"}
_LIST = {"type": "array", "items": {"type": "object"}}
_TEXT = {"type": "string"}
FILE_TYPES = (
    "text/csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/json",
    "application/geo+json",
    "application/vnd.apache.parquet",
)
CKAN_ACTIONS = {
    "status_show": [],
    "package_list": ["limit", "offset"],
    "package_show": ["id"],
    "package_search": ["q", "fq", "rows", "start", "sort", "facet.field"],
    "organization_list": ["all_fields", "limit", "offset"],
    "organization_show": ["id", "include_datasets"],
    "resource_show": ["id"],
    "datastore_search": ["resource_id", "filters", "q", "limit", "offset", "sort", "fields"],
}


def _tagged(op: dict[str, Any], tag: str = "Catalog", created: bool = False) -> dict[str, Any]:
    op["tags"] = [tag]
    if created:
        op["responses"]["201"] = op["responses"].pop("200")
    return op


def _ckan_paths() -> dict[str, Any]:
    envelope = {
        "type": "object",
        "required": ["help", "success"],
        "properties": {"help": _TEXT, "success": {"type": "boolean"}, "result": {}},
    }
    paths: dict[str, Any] = {}
    for prefix in ("/api/action", "/api/3/action"):
        for name, params in CKAN_ACTIONS.items():
            responses: dict[str, Any] = {
                code: {
                    "description": "CKAN envelope",
                    "content": {"application/json": {"schema": envelope}},
                }
                for code in ("200", "403", "404", "409")
            }
            responses["400"] = {
                "description": "CKAN envelope, or a problem for requests refused before routing",
                "content": {
                    "application/json": {"schema": _OBJ},
                    "application/problem+json": {"schema": _OBJ},
                },
            }
            get = {
                "summary": f"CKAN {name}",
                "tags": ["CKAN action API"],
                "parameters": [_param(p) for p in params],
                "responses": responses,
            }
            post = {
                "summary": f"CKAN {name} (parameters in a JSON or form body)",
                "tags": ["CKAN action API"],
                "parameters": [],
                "requestBody": {
                    "required": False,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {p: {"type": "string"} for p in params},
                            }
                        }
                    },
                },
                "responses": responses,
            }
            paths[f"{prefix}/{name}"] = {"get": get, "post": post}
    return paths


def catalog_paths() -> dict[str, Any]:
    base = "/catalog/v1"
    key = _param("key", "path")
    version = _param("version", schema={"type": "integer", "minimum": 1})
    upload = _tagged(
        _op(
            "Load a file as the dataset's next version (the body is the file)",
            [key, _param("format"), _param("filename")],
            _OBJ,
        ),
        created=True,
    )
    upload["requestBody"] = {
        "required": True,
        "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in FILE_TYPES},
    }
    download = _tagged(
        _op("Download a version (masked by role)", [key, _param("format"), version], _OBJ)
    )
    download["responses"]["200"]["content"] = {
        "text/csv": {"schema": _TEXT},
        "application/json": {"schema": _LIST},
    }
    rows_params = [key, version] + [
        _param(n) for n in ("filters", "q", "sort", "fields", "limit", "offset")
    ]
    paths: dict[str, Any] = {
        f"{base}/datasets": {
            "get": _tagged(_op("Every dataset as a CKAN package", [], _LIST)),
            "post": _tagged(_op("Publish a dataset (metadata)", [], _OBJ, True), created=True),
        },
        f"{base}/datasets/{{key}}": {
            "get": _tagged(_op("One dataset", [key], _OBJ)),
            "patch": _tagged(_op("Edit metadata", [key], _OBJ, True)),
        },
        f"{base}/datasets/{{key}}/classification": {
            "put": _tagged(_op("A steward confirms the classification", [key], _OBJ, True))
        },
        f"{base}/datasets/{{key}}/versions": {
            "get": _tagged(_op("Versions", [key], _LIST)),
            "post": upload,
        },
        f"{base}/datasets/{{key}}/rows": {
            "get": _tagged(_op("Rows (masked by role), filtered and sorted", rows_params, _OBJ))
        },
        f"{base}/datasets/{{key}}/download": {"get": download},
        f"{base}/datasets/{{key}}/access-requests": {
            "post": _tagged(_op("Request access (申请)", [key], _OBJ, True), created=True)
        },
        f"{base}/access-requests": {
            "get": _tagged(_op("Access requests", [_param("status")], _LIST))
        },
        f"{base}/access-requests/{{access_id}}/decision": {
            "post": _tagged(
                _op("Approve, reject or revoke (审批)", [_param("access_id", "path")], _OBJ, True)
            )
        },
        f"{base}/audit": {
            "get": _tagged(
                _op(
                    "Audit records (stewards: their department's datasets)",
                    [_param(n) for n in ("dataset", "actor", "action", "since", "until")]
                    + [_param("limit"), _param("offset")],
                    _LIST,
                )
            )
        },
        f"{base}/audit/verify": {"get": _tagged(_op("Verify the audit's hash chain", [], _OBJ))},
    }
    for path in ("/catalog.ttl", "/catalog.jsonld", "/dataset/{key}.ttl", "/dataset/{key}.jsonld"):
        op = _tagged(_op("DCAT-AP 3.0 export", [key] if "{key}" in path else [], _OBJ), "DCAT-AP")
        media = "text/turtle" if path.endswith(".ttl") else "application/ld+json"
        op["responses"]["200"]["content"] = {
            media: {"schema": _TEXT if media == "text/turtle" else _OBJ}
        }
        paths[path] = {"get": op}
    paths.update(_ckan_paths())
    return paths
