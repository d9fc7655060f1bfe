"""schemathesis against the project's own OpenAPI schema, in-process (WSGI), as one branch user.

`fuzz(schema_path, token, examples)` generates `examples` requests per operation of the schema
served at `schema_path` (valid and invalid input alike: schemathesis' positive and negative modes), sends each through the WSGI app with `Authorization: Token …`, and
runs the checks below on every response, collecting failures instead of stopping at the first.
Used by tests/reliability/test_api_fuzz.py (small) and bench/schemathesis_run.py (full size).
"""
from __future__ import annotations

import collections
import time
from dataclasses import dataclass, field

CHECK_NAMES = ("not_a_server_error", "response_schema_conformance", "content_type_conformance")


@dataclass
class FuzzReport:
    requests: int = 0
    operations: int = 0
    statuses: collections.Counter = field(default_factory=collections.Counter)
    server_errors: list = field(default_factory=list)
    violations: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # the fuzzer itself failing on an operation
    fuzzer_notes: list = field(default_factory=list)  # negative generation failed inside schemathesis
    seconds: float = 0.0

    def summary(self) -> dict:
        return {"requests": self.requests, "operations": self.operations, "seconds": round(self.seconds, 1),
                "status_counts": dict(sorted((str(k), v) for k, v in self.statuses.items())),
                "server_errors_5xx": len(self.server_errors), "schema_violations": len(self.violations),
                "fuzzer_errors": len(self.errors), "fuzzer_notes": self.fuzzer_notes,
                "failures_by_kind": self.grouped()}

    def grouped(self) -> list[dict]:
        """Failures grouped by operation, status and message (first example kept)."""
        groups: dict[tuple, dict] = {}
        for f in self.server_errors + self.violations + self.errors:
            key = (f["operation"], f.get("status"), f["failure"][:120])
            groups.setdefault(key, dict(f, count=0))["count"] += 1
        return list(groups.values())


def _checks():
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

    return [not_a_server_error, response_schema_conformance, content_type_conformance]


def _describe(exc: BaseException) -> str:
    parts = [str(e).split("\n\nSchema:")[0].split("\n\n[")[0] for e in getattr(exc, "exceptions", [exc])]
    return " | ".join(p.strip().replace("\n", " ")[:300] for p in parts)


def _sendable(case) -> bool:
    """schemathesis cannot encode a form body that is not an object (a negative case's `true`)."""
    media = case.media_type or ""
    return not ("form" in media and not isinstance(case.body, dict))


def fuzz(schema_path: str, token: str, examples: int, *, seed: int = 0, skip: tuple[str, ...] = ()) -> FuzzReport:
    from django.core.signals import request_finished, request_started
    from django.core.wsgi import get_wsgi_application
    from django.db import close_old_connections
    from django.test import Client

    # The schema is served to signed-in people only (issue #23).
    raw = Client().get(schema_path, HTTP_ACCEPT="application/json", HTTP_AUTHORIZATION=f"Token {token}").json()
    # As Django's test client does: the caller's connection (maybe inside a test transaction)
    # stays open across requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        return _fuzz(get_wsgi_application(), raw, schema_path, token, examples, seed=seed, skip=skip)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _fuzz(app, raw, schema_path, token, examples, *, seed, skip) -> FuzzReport:
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, seed as hyp_seed, settings
    from hypothesis import strategies as st
    from schemathesis import GenerationMode

    # The schema served under /b/<code>/ names its paths with that prefix (so "Try it out" calls the
    # branch); a schema without it (an older server) gets it here: a WSGI base URL's path would
    # become SCRIPT_NAME, invisible to the branch routing.
    prefix = schema_path.split("/api/v1/")[0]
    raw["paths"] = {(path if path.startswith(prefix + "/") else prefix + path): item
                    for path, item in raw["paths"].items()}
    schema = schemathesis.openapi.from_dict(raw)
    base_url = "http://localhost"
    headers = {"Authorization": f"Token {token}"}
    checks = _checks()
    report = FuzzReport()
    started = time.perf_counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        if any(s in operation.label for s in skip):
            continue
        report.operations += 1

        def make_run(strategy):
            @hyp_seed(seed)
            @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=strategy)
            def run(case):
                response = case.call(base_url=base_url, headers=headers, app=app)
                report.requests += 1
                report.statuses[response.status_code] += 1
                try:
                    case.validate_response(response, checks=checks, headers=headers)
                except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 — recorded, the run goes on
                    entry = {"operation": operation.label, "status": response.status_code,
                             "request": f"{case.method} {case.formatted_path} query={case.query} "
                                        f"body={str(case.body)[:200]}",
                             "failure": _describe(exc)}
                    (report.server_errors if response.status_code >= 500 else report.violations).append(entry)
            return run

        positive = operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
        negative = operation.as_strategy(generation_mode=GenerationMode.NEGATIVE).filter(_sendable)
        try:
            make_run(st.one_of(positive, negative))()
        except Exception as exc:  # noqa: BLE001 — schemathesis failing to generate a negative case
            report.fuzzer_notes.append({"operation": operation.label, "note": repr(exc)[:300]})
            try:  # the operation is still exercised with valid input
                make_run(positive)()
            except Exception as exc2:  # noqa: BLE001
                report.errors.append({"operation": operation.label, "failure": repr(exc2)[:600]})
    report.seconds = time.perf_counter() - started
    return report
