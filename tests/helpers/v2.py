"""A plain-requests caller for the v2beta1 contract tests: the org and project paths built once."""

from __future__ import annotations

from tests.helpers.simulator import Api


class V2(Api):
    """:class:`Api` plus the caller's organization and project paths on ``/v2beta1``."""

    def org(self) -> str:
        r = self.get("/v2beta1/organizations")
        assert r.status_code == 200, r.text
        return r.json()["data"][0]["id"]

    def project(self, name: str = "Learning Project") -> str:
        """``/v2beta1/organizations/{org}/projects/{project}`` for the named project."""
        return f"/v2beta1/organizations/{self.org()}/projects/{self.tenant_id(name)}"

    def create_v2(self, project: str = "Learning Project", **fields) -> dict:
        """POST a v2beta1 create (a professional 2GB on gcp unless fields say otherwise)."""
        body = {"name": "v2-db", "type": "professional", "cloud_provider": "gcp",
                "region": "europe-west1", "memory": "2GB"}
        body.update(fields)
        r = self.post(self.project(project) + "/instances", body)
        assert r.status_code == 202, r.text
        return r.json()["data"]

    def multi_db(self, name: str = "mdb") -> tuple[str, dict]:
        """A running multi-database business-critical instance: ``(instance path, create data)``."""
        created = self.create_v2("Workshop Project", name=name, type="business-critical",
                                 memory="4GB", multi_database=True)
        self.finish(created["id"])
        return f"{self.project('Workshop Project')}/instances/{created['id']}", created

