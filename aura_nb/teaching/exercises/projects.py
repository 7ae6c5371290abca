"""The exercise of notebook 12: build a project's v2beta1 instances path from the organization and
project lists, without mixing up the two kinds of id.

The answer's path is requested from a private embedded simulator (`_base.sandbox`).
"""

from __future__ import annotations

from typing import Any, Callable

from ._base import Exercise, Incorrect, returned, sandbox

__all__ = ["ex12"]


def _verify_instances_path(instances_path: Callable[..., Any]) -> None:
    with sandbox() as box:
        organizations = box.call("GET", "/v2beta1/organizations").json()["data"]
        org_id = organizations[0]["id"]
        projects = box.call("GET", f"/v2beta1/organizations/{org_id}/projects").json()["data"]
        project_ids = {p["id"] for p in projects}
        for place, wanted in (("FIRST", projects[0]), ("in the middle", projects[1]),
                              ("last", projects[-1])):
            path = returned(instances_path(list(organizations), list(projects), wanted["name"]))
            if not isinstance(path, str) or not path.startswith("/v2beta1/organizations/"):
                raise Incorrect(f"return a path like /v2beta1/organizations/<org id>/projects/"
                                f"<project id>/instances, not {path!r}")
            parts = path.split("/")
            org_part = parts[3] if len(parts) > 3 else ""
            project_part = parts[5] if len(parts) > 5 else ""
            if org_part in project_ids or project_part == org_id:
                raise Incorrect("the ids are mixed up: the organization's id goes after "
                                "/organizations/ and the project's id (the v1 tenant id) after "
                                "/projects/. Take the first from the organizations list, the second "
                                "from the projects list")
            if project_part != wanted["id"]:
                picked = next((p["name"] for p in projects if p["id"] == project_part), None)
                raise Incorrect(f"{wanted['name']!r} is {place} in the projects list and your path "
                                f"names {picked or project_part!r}: pick the project whose name "
                                "matches exactly")
            answer = box.call("GET", path)
            if answer.status_code != 200:
                raise Incorrect(f"GET {path} answered {answer.status_code}: the path must end in "
                                "/instances")


ex12 = Exercise(
    "Exercise 12 (instances_path)", _verify_instances_path,
    hint="org_id = organizations[0]['id']; project_id = the 'id' of the project whose 'name' is "
         "project_name; then f'/v2beta1/organizations/{org_id}/projects/{project_id}/instances'.",
    solution="""
        def instances_path(organizations, projects, project_name):
            org_id = organizations[0]["id"]
            project_id = next(p["id"] for p in projects if p["name"] == project_name)
            return f"/v2beta1/organizations/{org_id}/projects/{project_id}/instances"
    """)
