"""What the seeded world offers: clients, tenants (projects) and their instance configurations.

The lists are made up but shaped like the real service's: region codes and human region names
as the console shows them, memory/storage pairs with storage twice the memory, version "5".
"""

from __future__ import annotations

#: Human names of the region codes used below, as ``GET /v1/tenants/{id}`` reports them.
REGION_NAMES = {
    ("gcp", "europe-west1"): "Belgium (europe-west1)",
    ("gcp", "europe-west2"): "London (europe-west2)",
    ("gcp", "europe-west3"): "Frankfurt (europe-west3)",
    ("gcp", "us-central1"): "Iowa (us-central1)",
    ("gcp", "us-east1"): "South Carolina (us-east1)",
    ("gcp", "asia-southeast1"): "Singapore (asia-southeast1)",
    ("gcp", "australia-southeast1"): "Sydney (australia-southeast1)",
    ("aws", "us-east-1"): "US East, N. Virginia (us-east-1)",
    ("aws", "us-west-2"): "US West, Oregon (us-west-2)",
    ("aws", "eu-west-1"): "Europe, Ireland (eu-west-1)",
    ("aws", "eu-central-1"): "Europe, Frankfurt (eu-central-1)",
    ("aws", "ap-southeast-2"): "Asia Pacific, Sydney (ap-southeast-2)",
    ("azure", "eastus"): "Virginia (eastus)",
    ("azure", "westus3"): "Arizona (westus3)",
    ("azure", "uksouth"): "London (uksouth)",
    ("azure", "francecentral"): "Paris (francecentral)",
}

#: Types that report a metrics integration URL (and make a tenant eligible for one).
METRICS_TYPES = ("enterprise-db", "business-critical", "enterprise-ds")

#: Lifecycle durations in virtual seconds, (shortest, longest); each instance draws its own.
DEFAULT_DURATIONS = {
    "creating": (90, 150),
    "pausing": (20, 40),
    "resuming": (40, 90),
    "updating": (30, 60),
    "overwriting": (60, 120),
    "restoring": (60, 120),
    "destroying": (10, 20),
    "snapshot": (30, 60),
    "cmk": (30, 90),        # customer-managed key: pending -> ready
    "session": (30, 60),    # graph-analytics session: Creating -> Ready
}

#: Memory sizes a graph-analytics session may have.
SESSION_MEMORY = ("2GB", "4GB", "8GB", "16GB", "24GB", "32GB", "48GB", "64GB", "96GB", "128GB",
                  "192GB", "256GB", "384GB")

#: The client id and secret a simulator accepts unless told otherwise (``Simulator``, the CLI).
DEFAULT_CLIENT = ("simulator-client", "simulator-secret")

#: Credentials of the second, unrelated account that exists in every world (isolation tests).
OTHER_CLIENT = ("other-client", "other-secret")


def gb(size: str) -> int:
    """``"16GB"`` -> 16. Raises ValueError for anything else."""
    if not (isinstance(size, str) and size.endswith("GB") and size[:-2].isdigit()):
        raise ValueError(size)
    return int(size[:-2])


def _configs(instance_type: str, regions: dict[str, list[str]], memories: list[int],
             storage_factor: int = 2) -> list[dict]:
    """Every (cloud, region, memory) combination for one instance type."""
    out = []
    for cloud, codes in regions.items():
        for region in codes:
            for mem in memories:
                out.append({
                    "region": region,
                    "region_name": REGION_NAMES[(cloud, region)],
                    "type": instance_type,
                    "memory": f"{mem}GB",
                    "storage": f"{mem * storage_factor}GB",
                    "version": "5",
                    "cloud_provider": cloud,
                })
    return out


_PRO_REGIONS = {
    "gcp": ["europe-west1", "us-central1", "asia-southeast1"],
    "aws": ["us-east-1", "eu-west-1"],
    "azure": ["eastus", "uksouth"],
}

#: The tenants of a fresh world: (owner role, name, instance configurations). Sizes follow the
#: reference's tier facts: professional-db from 2GB (about 2-64GB), business-critical from 4GB.
#: The "primary" role is the simulator's configured client; "other" is OTHER_CLIENT.
SEEDED_TENANTS = [
    ("primary", "Learning Project",
     _configs("free-db", {"gcp": ["europe-west1"]}, [1])
     + _configs("professional-db", _PRO_REGIONS, [2, 4, 8, 16, 32, 64])),
    ("primary", "Workshop Project",
     _configs("professional-db", {"gcp": ["europe-west1", "europe-west2", "us-east1"],
                                  "aws": ["us-east-1", "eu-central-1"]}, [2, 4, 8, 16])
     + _configs("business-critical", {"gcp": ["europe-west1", "europe-west2"],
                                      "aws": ["us-east-1"]}, [4, 8, 16, 32, 64, 128])),
    ("primary", "Enterprise Project",
     _configs("enterprise-db", {"gcp": ["europe-west1", "europe-west3", "australia-southeast1"],
                                "aws": ["us-east-1", "us-west-2", "ap-southeast-2"],
                                "azure": ["eastus", "westus3", "francecentral"]},
              [4, 8, 16, 32, 64, 128, 256])
     + _configs("enterprise-ds", {"gcp": ["europe-west1"], "aws": ["us-east-1"],
                                  "azure": ["eastus"]}, [8, 16, 32, 64, 128])),
    ("other", "Other Project",
     _configs("free-db", {"gcp": ["europe-west1"]}, [1])
     + _configs("professional-db", {"gcp": ["europe-west1"]}, [2, 4])),
]


_FREE_DB = _configs("free-db", {"gcp": ["europe-west1"]}, [1])
#: GA regions for AuraDB Professional and Business Critical (a subset of the published list).
_GA_REGIONS = {
    "gcp": ["europe-west1", "europe-west2", "us-central1", "us-east1", "asia-southeast1"],
    "aws": ["us-east-1", "eu-west-1", "eu-central-1"],
    "azure": ["eastus", "uksouth"],
}
_PROFESSIONAL_DB = _configs("professional-db", _GA_REGIONS, [2, 4, 8, 16, 32, 64])
_BUSINESS_CRITICAL = _configs("business-critical", _GA_REGIONS, [4, 8, 16, 32, 64, 128, 256, 384])
#: Virtual Dedicated Cloud and AuraDS Enterprise reach regions the self-serve tiers do not.
_VDC_REGIONS = {
    "gcp": ["europe-west1", "europe-west2", "europe-west3", "us-central1", "us-east1",
            "asia-southeast1", "australia-southeast1"],
    "aws": ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"],
    "azure": ["eastus", "westus3", "uksouth", "francecentral"],
}
_OTHER_TENANT = SEEDED_TENANTS[-1]


class Account:
    """One kind of Aura account: its projects, whether billing details are on file, its rate."""

    def __init__(self, tenants: list, billing: bool, rate_limit: int):
        self.tenants = tenants + [_OTHER_TENANT]
        self.billing = billing
        self.rate_limit = rate_limit


#: The account kinds ``Simulator(account=...)`` and ``--account`` offer, from the tier facts of
#: the API reference: Free has no billing details (paid creates answer 400
#: ``missing-billing-details``) and 25 requests per minute; paid accounts get 125.
ACCOUNTS = {
    "free": Account([("primary", "Free Project", _FREE_DB + _PROFESSIONAL_DB + _BUSINESS_CRITICAL)],
                    billing=False, rate_limit=25),
    "professional": Account([("primary", "Professional Project",
                              _FREE_DB + _PROFESSIONAL_DB + _BUSINESS_CRITICAL)],
                            billing=True, rate_limit=125),
    "enterprise": Account([
        ("primary", "Production",
         _configs("enterprise-db", _VDC_REGIONS, [4, 8, 16, 32, 64, 128, 256, 384, 512])
         + _configs("enterprise-ds", _VDC_REGIONS, [8, 16, 32, 64, 128, 256, 384])),
        ("primary", "Staging",
         _configs("enterprise-db", _VDC_REGIONS, [4, 8, 16, 32, 64])
         + _BUSINESS_CRITICAL),
    ], billing=True, rate_limit=125),
}
#: The world without an account kind: the seeded projects the tests and notebooks know.
DEFAULT_ACCOUNT = Account(SEEDED_TENANTS[:-1], billing=True, rate_limit=125)


def account(kind: str | None) -> Account:
    """The :class:`Account` for ``kind`` (``None``: the default world). Raises ValueError."""
    if kind is None:
        return DEFAULT_ACCOUNT
    if kind not in ACCOUNTS:
        raise ValueError(f"account must be one of {', '.join(ACCOUNTS)} (or none for the "
                         f"default world), not {kind!r}")
    return ACCOUNTS[kind]
