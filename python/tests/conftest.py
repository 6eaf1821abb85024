"""Shared fixtures: the shipped policies, their test cases, the CLI, and
rows generated for every policy (with unknowns and list elements)."""

from __future__ import annotations

import datetime
import decimal
import json
import os
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Optional

import pyarrow as pa
import pytest
import yaml

import rulebook

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "rules"
POLICY_NAMES = sorted(p.stem for p in RULES.glob("*.rules"))


def cli_path() -> Optional[Path]:
    """The `rulebook` command to compare with: $RULEBOOK_CLI, else one built
    in this checkout, else one on PATH."""
    given = os.environ.get("RULEBOOK_CLI")
    if given:
        return Path(given)
    for build in ("release", "debug"):
        candidate = REPO / "target" / build / "rulebook"
        if candidate.exists():
            return candidate
    found = shutil.which("rulebook")
    return Path(found) if found else None


@pytest.fixture(scope="session")
def cli() -> Path:
    path = cli_path()
    if path is None or not path.exists():
        if os.environ.get("RULEBOOK_CLI"):
            pytest.fail(f"RULEBOOK_CLI={os.environ['RULEBOOK_CLI']} does not exist")
        pytest.skip("no rulebook CLI built (cargo build) to compare with")
    return path


def run_cli(cli: Path, *args: str, stdin: Optional[str] = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(cli), *args], input=stdin, capture_output=True, text=True, timeout=120
    )


_POLICIES: Dict[str, rulebook.Policy] = {}


def policy_named(name: str) -> rulebook.Policy:
    if name not in _POLICIES:
        _POLICIES[name] = rulebook.Policy.load(RULES / f"{name}.rules")
    return _POLICIES[name]


def to_json(value: Any) -> str:
    """Facts as JSON text for the CLI: dates as "YYYY-MM-DD", Decimals as numbers."""

    def default(v: Any) -> Any:
        if isinstance(v, datetime.date):
            return v.isoformat()
        if isinstance(v, decimal.Decimal):
            return float(v) if v == v.to_integral_value() else str(v)
        raise TypeError(type(v).__name__)

    return json.dumps(value, default=default)


def yaml_cases() -> List[Any]:
    """Every case of every rules/*.test.yaml, as pytest params."""
    params = []
    for path in sorted(RULES.glob("*.test.yaml")):
        doc = yaml.safe_load(path.read_text())
        policy = (path.parent / doc.get("policy", path.name.replace(".test.yaml", ".rules"))).stem
        for i, case in enumerate(doc.get("cases", [])):
            params.append(pytest.param(policy, case, id=f"{policy}:{i}:{case.get('name', '')}"[:90]))
    return params


def as_of_text(value: Any) -> str:
    if value is None:
        return datetime.date.today().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


# -- generated rows ----------------------------------------------------

TEXTS = ["UC-4471203", "TC-1234567", "UC-4471203-MP", "BT7 1NN", "EH1 1YZ", "LS6 2QD", ""]


def _value(rng: random.Random, field: pa.Field, unknown: float) -> Any:
    if rng.random() < unknown:
        return None
    kind = field.metadata[b"rulebook.type"].decode()
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "int":
        return rng.randint(-5, 120)
    if kind == "money":
        # mostly everyday amounts, sometimes large ones
        top = 20_000_00 if rng.random() < 0.9 else 5_000_000_00
        return decimal.Decimal(rng.randint(0, top)).scaleb(-2)
    if kind == "decimal":
        return decimal.Decimal(rng.randint(-10**7, 10**7)).scaleb(-6)
    if kind == "date":
        return datetime.date(1925, 1, 1) + datetime.timedelta(days=rng.randint(0, 40_000))
    if kind == "text":
        return rng.choice(TEXTS)
    if kind.startswith("enum("):
        return rng.choice(kind[5:-1].split(", "))
    if kind == "list":
        struct = field.type.value_type
        return [
            {struct.field(j).name: _value(rng, struct.field(j), unknown) for j in range(struct.num_fields)}
            for _ in range(rng.randint(0, 3))
        ]
    raise AssertionError(kind)


def generated_rows(policy: rulebook.Policy, count: int, seed: int, unknown: float = 0.12) -> List[Dict[str, Any]]:
    """`count` rows of facts for `policy`: Python values (Decimal, date),
    None for about `unknown` of them."""
    rng = random.Random(seed)
    schema = policy.input_schema()
    return [{f.name: _value(rng, f, unknown) for f in schema} for _ in range(count)]


def plain(value: Any) -> Any:
    """A fact as the JSON facts write it (for evaluate and the CLI)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    return value
