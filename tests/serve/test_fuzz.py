"""Schemathesis over the OpenAPI document of the in-process app (real store, Ray connected): every
operation, with an admin token and with none; no 5xx, every response matches its declared schema.
Bounded here (FUZZ_EXAMPLES per operation, default 12, derandomised); ``make fuzz`` runs 200."""
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_schema_conformance,
                                 status_code_conformance)

from .conftest import make_api

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 12))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def fuzz_api(ray_local, nx_uri, tmp_path_factory):
    return make_api(nx_uri, tmp_path_factory.mktemp("fuzz"))


@pytest.mark.timeout(900)
def test_every_operation_without_server_errors_and_as_documented(fuzz_api):
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_api.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 19  # every route of the spec and ours
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case):
            for headers in (fuzz_api.admin, {}):
                case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            fuzz()
        except Exception as exc:
            raise AssertionError(f"{operation.method.upper()} {operation.path}: {exc}") from exc
