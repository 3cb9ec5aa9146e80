"""Generated exports for the CRM import benchmark: HubSpot-shaped companies, contacts and calls, and the same rows
in accountbot's own format, so both importers write the same data. Written row by row (bounded memory) and
deterministic: company i, its contacts 3i..3i+2, and ten calls per company spread over the year before NOW.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
HUBSPOT = {
    "companies.csv": ["Record ID", "Company name", "Company owner", "Type", "Lifecycle Stage",
                      "Company Domain Name", "Industry", "Annual Revenue"],
    "contacts.csv": ["Record ID", "First Name", "Last Name", "Email", "Job Title", "Primary Associated Company ID",
                     "Buying Role"],
    "calls.csv": ["Record ID", "Call Title", "Activity date", "Call outcome", "Associated Company IDs",
                  "Associated Contact IDs", "Call notes"],
}  # fmt: skip
NATIVE = {
    "accounts.csv": ["name", "owner", "stage", "domain", "industry"],
    "contacts.csv": ["account", "name", "title", "email", "role"],
    "interactions.csv": ["account", "date", "kind", "contact", "note"],
}


def _writer(path: Path, header: list[str]) -> tuple[Any, TextIO]:
    fh = path.open("w", newline="", encoding="utf-8")
    writer = csv.writer(fh)
    writer.writerow(header)
    return writer, fh


def write_exports(
    folder: Path, companies: int, contacts_per: int = 3, calls_per: int = 10
) -> dict[str, Path]:
    """Both shapes into folder/hubspot and folder/native; returns the paths by name."""
    hub, nat = folder / "hubspot", folder / "native"
    hub.mkdir(parents=True, exist_ok=True)
    nat.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, header in HUBSPOT.items():
        files[f"hubspot/{name}"] = _writer(hub / name, header)
    for name, header in NATIVE.items():
        files[f"native/{name}"] = _writer(nat / name, header)
    w = {k: v[0] for k, v in files.items()}
    call_id = 0
    for i in range(companies):
        company_id = str(10_000_000 + i)
        name = f"Company {i:07d}"
        owner = f"owner{i % 50}@example.com"
        w["hubspot/companies.csv"].writerow(
            [company_id, name, owner, "Customer", "Customer", f"c{i}.example", "Software", str(1000 * i)]
        )
        w["native/accounts.csv"].writerow([name, owner, "client", f"c{i}.example", "Software"])
        people = []
        for j in range(contacts_per):
            contact_id = str(50_000_000 + i * contacts_per + j)
            first, last = f"First{j}", f"Last{i:07d}"
            email = f"p{i}.{j}@c{i}.example"
            role = "Decision Maker" if j == 0 else "End User"
            w["hubspot/contacts.csv"].writerow([contact_id, first, last, email, "Buyer", company_id, role])
            w["native/contacts.csv"].writerow(
                [name, f"{first} {last}", "Buyer", email, "decision_maker" if j == 0 else "user"]
            )
            people.append((contact_id, email))
        for k in range(calls_per):
            call_id += 1
            when = NOW - timedelta(days=1 + (i * 7 + k * 37) % 360, minutes=k)
            contact_id, email = people[k % len(people)]
            note = f"Call {k} with {name}"
            w["hubspot/calls.csv"].writerow(
                [str(90_000_000 + call_id), f"Call {k}", when.strftime("%Y-%m-%dT%H:%M:%SZ"), "Connected",
                 company_id, contact_id, note]
            )  # fmt: skip
            w["native/interactions.csv"].writerow([name, when.isoformat(), "call", email, note])
    for _writer_obj, fh in files.values():
        fh.close()
    return {key: folder / key for key in files}
