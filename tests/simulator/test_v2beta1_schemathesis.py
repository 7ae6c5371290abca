"""Schemathesis over Neo4j's published v2beta1 document, restricted to organizations, projects,
instances, databases and backups (read at test time, see `tests.helpers.needs`).

Path parameters are pinned to ids that exist (a random organization id would get a 404 the
document does not list for that operation); everything else is generated, with a fixed seed.
DELETEs get ids of their own so that the other operations keep something to read.
"""

import json
import re
from pathlib import Path

import pytest

from tests.helpers.needs import reference_file

CORE_PATHS = (r"^/organizations(/\{org_id\}(/projects(/\{project_id\}/instances"
              r"(/\{instance_id\}(/databases(/\{database_id\}(/backups(/\{backup_id\})?"
              r"|/restore)?)?)?)?)?)?)?$")
EXAMPLES = 12


@pytest.fixture(scope="module")
def schema():
    path = reference_file("aura-api-v2beta1-openapi.json")
    schemathesis = pytest.importorskip("schemathesis")
    loaded = schemathesis.openapi.from_dict(json.loads(path.read_text(encoding="utf-8")))
    return loaded.include(path_regex=CORE_PATHS)


def world_ids(v2) -> dict:
    """Ids for every path parameter: a running multi-database instance with a database and a
    completed backup, plus an instance and a database kept for the DELETEs."""
    path, created = v2.multi_db("fuzzed")
    database = v2.post(path + "/databases", {"name": "fuzzed"}).json()["data"]["id"]
    doomed_db = v2.post(path + "/databases", {"name": "doomed"}).json()["data"]["id"]
    backup = v2.post(f"{path}/databases/{database}/backups").json()["data"]["id"]
    doomed = v2.create_v2("Workshop Project", name="doomed", type="business-critical",
                          memory="4GB")["id"]
    v2.finish(doomed)
    v2.sim.advance(120)
    return {"org_id": v2.org(), "project_id": v2.tenant_id("Workshop Project"),
            "instance_id": created["id"], "database_id": database, "backup_id": backup,
            "doomed_instance": doomed, "doomed_database": doomed_db}


def test_core_v2beta1_operations_conform_to_the_published_document(schema, v2):
    from hypothesis import HealthCheck, given, seed, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (content_type_conformance,
                                                   response_schema_conformance,
                                                   status_code_conformance)

    checks = [not_a_server_error, status_code_conformance, response_schema_conformance,
              content_type_conformance]
    ids = world_ids(v2)
    base_url = v2.sim.base_url + "/v2beta1"
    headers = {"Authorization": f"Bearer {v2.token}"}
    tested = []
    for result in schema.get_all_operations():
        operation = result.ok()
        names = re.findall(r"\{(\w+)\}", operation.path)
        pinned = {name: ids[name] for name in names}
        if operation.method.upper() == "DELETE":
            last = names[-1]
            pinned[last] = ids["doomed_instance" if last == "instance_id" else "doomed_database"]

        @seed(0)
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(path_parameters=pinned))
        def run(case):
            case.call_and_validate(base_url=base_url, headers=headers, checks=checks)

        run()
        tested.append(f"{operation.method.upper()} /v2beta1{operation.path}")
    assert len(tested) == 15, tested
    sent = v2.sim.stats_snapshot()["requests"]
    assert all(sent.get(label, 0) >= 1
               for label in tested), sent


def test_hypothesis_keeps_its_caches_out_of_the_repository():
    """A run leaves no ``.hypothesis/`` in the tree (the root conftest.py points it elsewhere)."""
    configuration = pytest.importorskip("hypothesis.configuration")
    home = configuration.storage_directory("unicode_data", intent_to_write=False).home_directory
    repository = Path(__file__).resolve().parents[2]
    assert repository not in home.resolve().parents, home
