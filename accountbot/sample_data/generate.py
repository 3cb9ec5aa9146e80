"""Deterministic generator of the sample data shipped with accountbot (and of large files for benchmarks).

    python -m accountbot.sample_data.generate            # rewrite the four demo CSVs beside this file
    python -m accountbot.sample_data.generate --bench 100000 out.csv   # synthetic accounts for a benchmark

Dates are relative to REFERENCE_DATE; the story (STORY): docs/data.md#the-demo-and-its-sample-data.
"""

from __future__ import annotations

import csv
import random
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
REFERENCE_DATE = date(2026, 6, 15)  # the "today" of the shipped files
REVENUE_MONTHS = 13  # full months before the reference month
SEED = 20260615

ACCOUNT_COLUMNS = [
    "name", "owner", "stage", "annual_revenue", "wallet_share", "profit_margin", "profitability",
    "strategic_value", "pain_factor", "engagement", "potential", "industry", "aliases", "domain",
    "news_feed", "prospect_fit",
]  # fmt: skip
CONTACT_COLUMNS = ["account", "name", "title", "email", "role", "active"]
INTERACTION_COLUMNS = ["account", "date", "kind", "contact", "colleague", "note"]
REVENUE_COLUMNS = ["account", "month", "amount"]

# The account team: fake Slack user ids. The first five own accounts; the others join meetings.
TEAM: dict[str, str] = {
    "U01AMARA": "Amara Okafor",
    "U02BENOIT": "Benoît Laurent",
    "U03CHLOE": "Chloe Nakamura",
    "U04DMITRI": "Dmitri Volkov",
    "U05ESTHER": "Esther Mensah",
    "U06FINN": "Finn Gallagher (solutions)",
    "U07GRETA": "Greta Lindqvist (delivery)",
    "U08HUGO": "Hugo Ferreira (finance)",
}
OWNERS = list(TEAM)[:5]
HELPERS = list(TEAM)[5:]
EXECUTIVES: dict[str, str] = {"U09IRIS": "Iris Calloway (VP Sales)", "U10JONAS": "Jonas Weber (CEO)"}


@dataclass
class Spec:
    name: str
    industry: str
    revenue: int | None  # annual, USD; None for prospects / unknown
    wallet: int | None = None  # percent
    margin: float | None = None  # percent
    strategic: str = ""
    pain: str = ""
    aliases: list[str] = field(default_factory=list)
    stage: str = "client"
    fit: str = ""
    story: str = "steady"  # steady | engaged | neglected:<days> | spof | drop | quiet | prospect
    owner: int = 0


# fmt: off
ACCOUNTS: list[Spec] = [
    # --- the key tier (top 25% of 50 clients by revenue = 13) ---
    Spec("Northwind Health Systems", "Healthcare", 4_800_000, 35, 28, "high", "low", ["Northwind Health"], story="engaged", owner=0),
    Spec("Mercury Freight Lines", "Logistics", 4_100_000, 60, 18, "medium", "low", ["Mercury", "MFL"], story="spof", owner=1),
    Spec("Atlas Mutual Insurance", "Insurance", 3_600_000, 80, 22, "high", "medium", ["Atlas", "Atlas Mutual"], story="neglected:134", owner=2),
    Spec("Jaguar Robotics", "Manufacturing", 3_200_000, 45, 31, "medium", "low", ["Jaguar"], story="engaged", owner=3),
    Spec("Delta Water Utilities", "Utilities", 2_900_000, 70, 19, "medium", "low", ["Delta Water", "Delta"], story="drop", owner=4),
    Spec("Halcyon Retail Group", "Retail", 2_400_000, 55, -6, "low", "medium", ["Halcyon"], story="engaged", owner=0),
    Spec("Summit Savings Bank", "Financial services", 2_200_000, 72, 26, "medium", "low", ["Summit Bank", "Summit"], story="neglected:108", owner=1),
    Spec("Orion Aerospace", "Aerospace", 2_050_000, 40, 24, "high", "low", ["Orion"], story="engaged", owner=2),
    Spec("Bluefin Seafoods", "Food & beverage", 1_900_000, 85, 4, "low", "high", ["Bluefin"], story="steady", owner=3),
    Spec("Kestrel Software", "Software", 1_750_000, 30, 35, "medium", "low", ["Kestrel"], story="engaged", owner=4),
    Spec("Granite Construction Partners", "Construction", 1_600_000, 65, 12, "low", "medium", ["Granite"], story="steady", owner=0),
    Spec("Pioneer Agritech", "Agriculture", 1_500_000, 50, 15, "medium", "low", ["Pioneer"], story="steady", owner=1),
    Spec("Sable Pharmaceuticals", "Pharmaceuticals", 1_420_000, 90, 21, "low", "low", ["Sable Pharma"], story="quiet", owner=2),
    # --- the secondary tier ---
    Spec("Cobalt Mining Corp", "Mining", 1_250_000, 60, 9, "low", "medium", ["Cobalt"], owner=3),
    Spec("Vantage Hotels", "Hospitality", 1_180_000, 40, 17, "low", "low", ["Vantage"], owner=4),
    Spec("Redwood Credit Union", "Financial services", 1_100_000, 55, 20, "medium", "low", [], owner=0),
    Spec("Quill & Ink Publishing", "Media", 1_020_000, 76, 13, "low", "low", ["Quill and Ink"], owner=1),
    Spec("Helios Solar", "Energy", 960_000, 25, 27, "high", "low", ["Helios"], story="engaged", owner=2),
    Spec("Tidewater Ports Authority", "Public sector", 910_000, 95, 8, "medium", "high", ["Tidewater"], owner=3),
    Spec("Lattice Semiconductors", "Electronics", 870_000, 45, 29, "low", "low", ["Lattice"], owner=4),
    Spec("Marigold Foods", "Food & beverage", 820_000, 70, 11, "low", "medium", ["Marigold"], owner=0),
    Spec("Evergreen Property Trust", "Real estate", 780_000, 60, 16, "low", "low", ["Evergreen"], owner=1),
    Spec("Falcon Security Services", "Security", 740_000, 50, 6, "low", "high", ["Falcon"], owner=2),
    Spec("Juniper Learning", "Education", 700_000, 35, 22, "medium", "low", ["Juniper"], owner=3),
    Spec("Copperline Telecom", "Telecommunications", 660_000, 80, 14, "low", "low", ["Copperline"], owner=4),
    Spec("Nimbus Cloud Hosting", "Software", 630_000, 20, 33, "low", "low", ["Nimbus"], owner=0),
    Spec("Osprey Outdoor Gear", "Retail", 590_000, 65, 10, "low", "low", ["Osprey"], owner=1),
    Spec("Pinnacle Legal LLP", "Legal services", 560_000, 75, 38, "low", "low", ["Pinnacle"], owner=2),
    Spec("Riverbend Medical Group", "Healthcare", 530_000, 55, 19, "low", "medium", ["Riverbend"], owner=3),
    Spec("Saffron Restaurants", "Hospitality", 500_000, 85, 3, "low", "medium", ["Saffron"], owner=4),
    Spec("Thunderbird Motors", "Automotive", 470_000, 40, 12, "low", "low", ["Thunderbird"], owner=0),
    Spec("Umber Textiles", "Manufacturing", 440_000, 60, -2, "low", "high", ["Umber"], owner=1),
    Spec("Vireo Analytics", "Software", 410_000, 15, 41, "high", "low", ["Vireo"], story="engaged", owner=2),
    Spec("Wavecrest Shipping", "Logistics", 380_000, 70, 9, "low", "low", ["Wavecrest"], owner=3),
    Spec("Yellowstone Outfitters", "Retail", 350_000, 90, 18, "low", "low", [], owner=4),
    Spec("Zephyr Airlines Catering", "Aviation services", 330_000, 50, 7, "low", "medium", ["Zephyr"], owner=0),
    Spec("Amberfield Dairy", "Agriculture", 300_000, 65, 14, "low", "low", ["Amberfield"], owner=1),
    Spec("Brightwater Labs", "Biotech", 280_000, 30, 26, "medium", "low", ["Brightwater"], owner=2),
    Spec("Cedar Grove Schools", "Education", 250_000, 80, 5, "low", "low", [], owner=3),
    Spec("Driftwood Furniture", "Manufacturing", 230_000, 55, 12, "low", "low", ["Driftwood"], owner=4),
    Spec("Emberline Gas", "Energy", 210_000, 75, 16, "low", "low", ["Emberline"], owner=0),
    Spec("Foxglove Cosmetics", "Consumer goods", 190_000, 40, 23, "low", "low", ["Foxglove"], owner=1),
    Spec("Goldcrest Wealth", "Financial services", 170_000, 25, 30, "low", "low", ["Goldcrest"], owner=2),
    Spec("Harbor Light Charities", "Non-profit", 150_000, 90, 2, "low", "low", [], owner=3),
    Spec("Ironclad Storage", "Logistics", 130_000, 60, 8, "low", "low", ["Ironclad"], owner=4),
    Spec("Jasper Veterinary", "Healthcare", 110_000, 70, 18, "low", "low", [], owner=0),
    Spec("Keystone Print Works", "Media", 90_000, 85, 6, "low", "low", ["Keystone"], owner=1),
    Spec("Larkspur Florists", "Retail", 70_000, 95, 12, "low", "low", [], owner=2),
    Spec("Meridian Consulting", "Professional services", 50_000, 30, 20, "low", "low", ["Meridian"], owner=3),
    Spec("Nomad Coworking", "Real estate", None, None, None, "low", "low", ["Nomad"], story="quiet", owner=4),
    # --- prospects ---
    Spec("Lumen Biotech", "Biotech", None, strategic="high", aliases=["Lumen"], stage="prospect", fit="ideal", story="prospect", owner=0),
    Spec("Quasar Energy Storage", "Energy", None, strategic="medium", aliases=["Quasar"], stage="prospect", fit="lead", story="prospect", owner=1),
    Spec("Sterling Hotels International", "Hospitality", None, stage="prospect", fit="lead", owner=2),
    Spec("Titan Steelworks", "Manufacturing", None, aliases=["Titan"], stage="prospect", fit="lead", owner=3),
    Spec("Aurora Fintech", "Financial services", None, aliases=["Aurora"], stage="prospect", fit="ideal", owner=4),
    Spec("Beacon Health Partners", "Healthcare", None, aliases=["Beacon"], stage="prospect", fit="lead", story="prospect", owner=0),
    Spec("Crescent Foods", "Food & beverage", None, aliases=["Crescent"], stage="prospect", owner=1),
    Spec("Dynamo Sports", "Consumer goods", None, aliases=["Dynamo"], stage="prospect", fit="lead", owner=2),
    Spec("Everest Cloud", "Software", None, aliases=["Everest"], stage="prospect", owner=3),
    Spec("Phoenix Logistics", "Logistics", None, aliases=["Phoenix"], stage="prospect", fit="lead", owner=4),
]
# fmt: on

# Sponsors (docs/rules.md#nudge-signals: A accounts need an executive sponsor, B accounts a project-manager sponsor). The CSV
# formats have no sponsor column (sponsors are set in Slack), so the demo applies these after the import.
# Left out on purpose: Atlas Mutual Insurance (A, no sponsor), Summit Savings Bank (A, only a project
# manager), Juniper Learning (B, no sponsor).
SPONSORS: dict[str, tuple[str, str]] = {
    "Northwind Health Systems": ("U10JONAS", "executive"),
    "Mercury Freight Lines": ("U09IRIS", "executive"),
    "Jaguar Robotics": ("U09IRIS", "executive"),
    "Delta Water Utilities": ("U09IRIS", "executive"),
    "Summit Savings Bank": ("U07GRETA", "project_manager"),
    "Orion Aerospace": ("U10JONAS", "executive"),
    "Kestrel Software": ("U10JONAS", "executive"),
    "Helios Solar": ("U09IRIS", "executive"),
    "Vireo Analytics": ("U10JONAS", "executive"),
    "Pioneer Agritech": ("U07GRETA", "project_manager"),
    "Brightwater Labs": ("U06FINN", "project_manager"),
    "Foxglove Cosmetics": ("U07GRETA", "project_manager"),
    "Goldcrest Wealth": ("U06FINN", "project_manager"),
    "Lattice Semiconductors": ("U07GRETA", "project_manager"),
    "Meridian Consulting": ("U06FINN", "project_manager"),
    "Nimbus Cloud Hosting": ("U07GRETA", "project_manager"),
    "Pinnacle Legal LLP": ("U06FINN", "project_manager"),
    "Redwood Credit Union": ("U07GRETA", "project_manager"),
    "Thunderbird Motors": ("U06FINN", "project_manager"),
    "Tidewater Ports Authority": ("U07GRETA", "project_manager"),
    "Vantage Hotels": ("U06FINN", "project_manager"),
}

STORY = {
    "neglected key accounts": ["Atlas Mutual Insurance", "Summit Savings Bank"],
    "single point of failure": ["Mercury Freight Lines"],
    "revenue drop": ["Delta Water Utilities"],
    "laggard (negative margin)": ["Halcyon Retail Group", "Umber Textiles"],
    "shed (high pain, low profitability)": [
        "Bluefin Seafoods",
        "Falcon Security Services",
        "Tidewater Ports Authority",
    ],
    "prospect with ideal fit": ["Lumen Biotech", "Aurora Fintech"],
    "sponsor missing or too junior": ["Atlas Mutual Insurance", "Summit Savings Bank", "Juniper Learning"],
    "ambiguous names for news matching": [
        "Mercury",
        "Atlas",
        "Jaguar",
        "Delta",
        "Summit",
        "Orion",
        "Pioneer",
        "Phoenix",
    ],
}

FIRST = ["Ana", "Ben", "Carla", "David", "Elif", "Farah", "George", "Hana", "Ivan", "Julia", "Kofi", "Lena",
         "Marco", "Nadia", "Omar", "Priya", "Quentin", "Rosa", "Sven", "Tara", "Uma", "Victor", "Wen", "Yusuf"]  # fmt: skip
LAST = ["Adams", "Bauer", "Castillo", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito", "Jensen",
        "Kowalski", "Lopez", "Moreau", "Novak", "Olsen", "Patel", "Quinn", "Rossi", "Silva", "Tanaka"]  # fmt: skip
TITLES = {
    "decision_maker": [
        "Chief Operating Officer",
        "VP Procurement",
        "Chief Financial Officer",
        "Managing Director",
    ],
    "influencer": ["Head of IT", "Operations Director", "Category Manager", "Head of Strategy"],
    "user": ["Project Lead", "Business Analyst", "Operations Coordinator", "Procurement Specialist"],
}
NOTES = {
    "meeting": [
        "Quarterly business review",
        "Roadmap planning session",
        "Renewal discussion",
        "Pricing review",
    ],
    "call": ["Check-in call", "Escalation follow-up", "Contract questions", "Budget call for next year"],
    "video": ["Demo of the new reporting module", "Onboarding session for new staff", "Weekly sync"],
    "email": ["Sent proposal for phase two", "Shared case study", "Followed up on invoice query"],
    "visit": ["Site visit at headquarters", "Plant tour and workshop"],
    "review": ["Annual account review", "Service-level review"],
    "other": ["Met at industry conference", "Dinner with the leadership team"],
}
KINDS = list(NOTES)


def domain_of(spec: Spec) -> str:
    words = [w for w in spec.name.lower().replace("&", "and").split() if w.isalnum()][:2]
    return "-".join(words) + ".example"


def _money(value: float) -> str:
    return f"${value:,.0f}"


def _month_start(d: date, back: int) -> date:
    index = d.year * 12 + (d.month - 1) - back
    return date(index // 12, index % 12 + 1, 1)


@dataclass
class SampleData:
    accounts: list[dict[str, str]]
    contacts: list[dict[str, str]]
    interactions: list[dict[str, str]]
    revenue: list[dict[str, str]]


def build(reference: date = REFERENCE_DATE, seed: int = SEED) -> SampleData:
    rng = random.Random(seed)
    data = SampleData([], [], [], [])
    for spec in ACCOUNTS:
        owner = OWNERS[spec.owner]
        data.accounts.append(
            {
                "name": spec.name,
                "owner": owner,
                "stage": spec.stage,
                "annual_revenue": _money(spec.revenue) if spec.revenue else "",
                "wallet_share": f"{spec.wallet}%" if spec.wallet is not None else "",
                "profit_margin": f"{spec.margin:g}%" if spec.margin is not None else "",
                "profitability": "",
                "strategic_value": spec.strategic,
                "pain_factor": spec.pain,
                "engagement": "",
                "potential": "",
                "industry": spec.industry,
                "aliases": ";".join(spec.aliases),
                "domain": domain_of(spec),
                "news_feed": "",
                "prospect_fit": spec.fit,
            }
        )
        contacts = _contacts(rng, spec)
        data.contacts.extend(contacts)
        data.interactions.extend(_interactions(rng, spec, owner, contacts, reference))
        data.revenue.extend(_revenue(rng, spec, reference))
    return data


def _contacts(rng: random.Random, spec: Spec) -> list[dict[str, str]]:
    if spec.story == "spof":
        roles = ["decision_maker", "user", "user"]
    elif spec.stage == "prospect":
        roles = ["decision_maker", "influencer"]
    elif spec.story == "engaged":
        roles = ["decision_maker", "decision_maker", "influencer", "user", "user"]
    else:
        roles = ["decision_maker", "decision_maker", "influencer", "user"][: rng.randint(2, 4)]
    out: list[dict[str, str]] = []
    used: set[str] = set()
    titles = {role: rng.sample(choices, len(choices)) for role, choices in TITLES.items()}
    for i, role in enumerate(roles):
        while True:
            first, last = rng.choice(FIRST), rng.choice(LAST)
            if f"{first} {last}" not in used:
                break
        used.add(f"{first} {last}")
        out.append(
            {
                "account": spec.name,
                "name": f"{first} {last}",
                "title": titles[role].pop(),
                "email": f"{first.lower()}.{last.lower()}@{domain_of(spec)}",
                "role": role,
                "active": "no" if (i == len(roles) - 1 and role == "user" and rng.random() < 0.2) else "yes",
            }
        )
    return out


def _when(reference: date, days_ago: int, rng: random.Random) -> str:
    moment = datetime.combine(
        reference - timedelta(days=days_ago), time(rng.choice([9, 10, 11, 14, 15, 16]), rng.choice([0, 30]))
    )
    return moment.strftime("%Y-%m-%dT%H:%M")


def _interactions(
    rng: random.Random, spec: Spec, owner: str, contacts: list[dict[str, str]], reference: date
) -> list[dict[str, str]]:
    story = spec.story
    if story == "prospect":
        gaps, crew = (18, 35), [owner]
    elif story == "engaged":
        gaps, crew = (6, 14), [owner, *rng.sample(HELPERS, 2)]
    elif story == "quiet":
        gaps, crew = (70, 110), [owner]
    elif spec.stage == "prospect":
        return []
    elif spec.revenue and spec.revenue >= 1_400_000:
        gaps, crew = (12, 24), [owner, rng.choice(HELPERS)]
    else:
        gaps, crew = (25, 60), [owner]
    quiet_since = int(story.split(":")[1]) if story.startswith("neglected:") else 1
    horizon = 120 if story == "prospect" else 365
    out: list[dict[str, str]] = []
    day = quiet_since + rng.randint(0, 4)
    while day <= horizon:
        kind = rng.choice(KINDS)
        if story == "spof" and day <= 90:
            contact, colleague = contacts[0], owner  # one person on each side, and nobody else
        else:
            contact, colleague = rng.choice(contacts), rng.choice(crew)
        out.append(
            {
                "account": spec.name,
                "date": _when(reference, day, rng),
                "kind": kind,
                "contact": contact["email"] if rng.random() < 0.3 else contact["name"],
                "colleague": colleague,
                "note": rng.choice(NOTES[kind]),
            }
        )
        day += rng.randint(*gaps)
    out.sort(key=lambda row: row["date"])
    return out


def _revenue(rng: random.Random, spec: Spec, reference: date) -> list[dict[str, str]]:
    if not spec.revenue:
        return []
    out = []
    for back in range(REVENUE_MONTHS, 0, -1):
        month = _month_start(reference, back)
        amount = spec.revenue / 12 * rng.uniform(0.9, 1.1)
        if spec.story == "drop" and back <= 3:
            amount *= 0.55
        out.append({"account": spec.name, "month": month.strftime("%Y-%m"), "amount": f"{amount:.2f}"})
    return out


def write_csv(path: Path, columns: list[str], rows: Iterable[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def write_sample(directory: Path = HERE, reference: date = REFERENCE_DATE) -> dict[str, Path]:
    """Write accounts.csv, contacts.csv, interactions.csv and revenue.csv into `directory`."""
    data = build(reference)
    paths = {kind: directory / f"{kind}.csv" for kind in ("accounts", "contacts", "interactions", "revenue")}
    write_csv(paths["accounts"], ACCOUNT_COLUMNS, data.accounts)
    write_csv(paths["contacts"], CONTACT_COLUMNS, data.contacts)
    write_csv(paths["interactions"], INTERACTION_COLUMNS, data.interactions)
    write_csv(paths["revenue"], REVENUE_COLUMNS, data.revenue)
    return paths


INDUSTRIES = sorted({s.industry for s in ACCOUNTS})
WORDS = ["Alpha", "Beacon", "Cedar", "Delta", "Ember", "Falcon", "Granite", "Harbor", "Iris", "Juniper",
         "Kite", "Lumen", "Maple", "Nova", "Onyx", "Pine", "Quartz", "Raven", "Slate", "Tundra"]  # fmt: skip
SUFFIXES = ["Holdings", "Group", "Systems", "Partners", "Labs", "Industries", "Services", "Works"]


def synthetic_accounts(n: int, seed: int = 7) -> Iterator[dict[str, str]]:
    """`n` account rows with unique names and every column filled in the accepted formats (benchmarks)."""
    rng = random.Random(seed)
    for i in range(n):
        stage = "prospect" if i % 10 == 9 else "client"
        yield {
            "name": f"{rng.choice(WORDS)} {rng.choice(SUFFIXES)} {i:06d}",
            "owner": OWNERS[i % len(OWNERS)] if i % 7 else f"owner{i % 50}@example.com",
            "stage": stage,
            "annual_revenue": "" if stage == "prospect" else _money(rng.randint(10_000, 9_000_000)),
            "wallet_share": f"{rng.randint(0, 100)}%",
            "profit_margin": f"{rng.uniform(-10, 45):.1f}",
            "profitability": rng.choice(["", "", "", "H", "medium", "Low"]),
            "strategic_value": rng.choice(["", "low", "medium", "high"]),
            "pain_factor": rng.choice(["", "low", "medium", "high"]),
            "engagement": rng.choice(["", "", "high", "low"]),
            "potential": rng.choice(["", "", "high", "low"]),
            "industry": rng.choice(INDUSTRIES),
            "aliases": f"ALIAS{i:06d};A{i}",
            "domain": f"company{i}.example",
            "news_feed": f"https://news.example/feeds/{i}.xml" if i % 5 == 0 else "",
            "prospect_fit": rng.choice(["ideal", "lead"]) if stage == "prospect" else "",
        }


def write_synthetic_accounts(path: Path, n: int, seed: int = 7) -> Path:
    write_csv(path, ACCOUNT_COLUMNS, synthetic_accounts(n, seed))
    return path


def main(argv: list[str]) -> int:
    if argv[:1] == ["--bench"] and len(argv) == 3:
        write_synthetic_accounts(Path(argv[2]), int(argv[1]))
        return 0
    if argv:
        print(__doc__, file=sys.stderr)
        return 2
    for kind, path in write_sample().items():
        print(f"{kind}: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
