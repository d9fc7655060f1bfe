"""The error answers every operation may give, in the OpenAPI schema (drf-spectacular
postprocessing hook). The API contract has two shapes for a refusal — `{"field": ["message"], …}`
or `{"detail": "message"}` — and 401/403/404/429 always carry `detail`; an operation that
documents an error response of its own (an import's row report) keeps it."""
from __future__ import annotations

ERROR_SCHEMA = {
    "type": "object",
    "description": '`{"detail": "message"}`, or for bad input `{"field": ["message"], …}` (a nested '
                   "field is named by its path, e.g. `roles[1].role`).",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}
DETAIL_SCHEMA = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}

_ANSWERS = {
    "400": ("Bad input: nothing was changed.", "Error"),
    "401": ("Not signed in, or the token has ended.", "Detail"),
    "403": ("The caller's role may not do this.", "Detail"),
    "404": ("Not found, or outside the caller's reach (another branch's objects look the same).", "Detail"),
    "429": ("Too many requests; see Retry-After.", "Detail"),
}
_METHODS = ("get", "post", "put", "patch", "delete")


def document_errors(result, generator, request, public):
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Error", ERROR_SCHEMA)
    components.setdefault("Detail", DETAIL_SCHEMA)
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status, (description, schema) in _ANSWERS.items():
                if status == "400" and method == "get" and not operation.get("parameters"):
                    continue  # nothing to get wrong
                responses.setdefault(status, {
                    "description": description,
                    "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
                })
    return result
