#!/usr/bin/env python3
"""Prints the cases of Rulebook test files (*.test.yaml) as JSON, for js/test.

    python3 js/testkit/cases.py FILE.test.yaml...

The files are read as the Rust test runner reads them (serde_yaml, which
follows the YAML 1.2 core schema): `2026-01-01`, `yes` and `on` stay strings,
`017` is the integer 17. PyYAML's own loader follows YAML 1.1, so it is given
the core schema's resolvers here. Each case's input is written as compact JSON
text (in a string), so that its numbers keep every digit on the way to
JavaScript, whose JSON.parse would round integers beyond 2^53.

Output: a JSON list with, per file, {"file", "policy" (absolute path of the
.rules file, or null), "source" (the policy text written in the test file,
or null), "as_of" (or null), "cases": [{"name", "as_of", "input", "error"}]}.
"""
import json
import os
import re
import sys

try:
    import yaml
except ImportError:  # pragma: no cover - a message for the person running the tests
    sys.exit("js/testkit/cases.py needs PyYAML: apt-get install python3-yaml (or pip install pyyaml)")


class CoreLoader(yaml.SafeLoader):
    """SafeLoader with the YAML 1.2 core schema's plain-scalar resolvers."""


CoreLoader.yaml_implicit_resolvers = {}
for tag, pattern, first in [
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    (
        "float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        list("-+.0123456789"),
    ),
]:
    CoreLoader.add_implicit_resolver("tag:yaml.org,2002:" + tag, re.compile(pattern), first)


def construct_int(loader, node):
    text = loader.construct_scalar(node)
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


def construct_bool(loader, node):
    return loader.construct_scalar(node).lower() == "true"


CoreLoader.add_constructor("tag:yaml.org,2002:int", construct_int)
CoreLoader.add_constructor("tag:yaml.org,2002:bool", construct_bool)


def compact(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def read(path):
    with open(path, encoding="utf-8") as f:
        doc = yaml.load(f, Loader=CoreLoader) or {}
    policy = doc.get("policy")
    source = doc.get("source")
    if policy is not None:
        policy = os.path.abspath(os.path.join(os.path.dirname(path), policy))
    elif source is None:
        name = os.path.basename(path)
        for end in (".test.yaml", ".test.yml"):
            if name.endswith(end):
                name = name[: -len(end)]
        policy = os.path.abspath(os.path.join(os.path.dirname(path), name + ".rules"))
    cases = []
    for case in doc.get("cases") or []:
        facts = case.get("input")
        cases.append(
            {
                "name": case["name"],
                "as_of": case.get("as_of"),
                # as the Rust runner: no input (or null) is the empty object
                "input": "{}" if facts is None else compact(facts),
                "error": case.get("error"),
            }
        )
    return {
        "file": path,
        "policy": policy,
        "source": source,
        "as_of": doc.get("as_of"),
        "cases": cases,
    }


if __name__ == "__main__":
    print(compact([read(p) for p in sys.argv[1:]]))
