#!/usr/bin/env python3
"""Regenerates the seed corpora under tests/fuzz/corpus/ from the repository's fixtures (model,
ui and sim fixtures, the built-in scenarios, the kubeconfig test files) and, when present, the
shared Kargo examples. Run from the repository root: python3 tests/fuzz/seed.py"""
import glob
import hashlib
import json
import os
import re
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus")
KINDS = {"Project": "kargo_project", "ProjectConfig": "kargo_project_config",
         "Warehouse": "kargo_warehouse", "Stage": "kargo_stage", "Freight": "kargo_freight",
         "Promotion": "kargo_promotion", "Event": "kargo_event"}
PER_KIND = 40


KUBECONFIGS = [
    """apiVersion: v1
kind: Config
current-context: exec
clusters:
- name: c
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
    extensions:
    - name: client.authentication.k8s.io/exec
      extension: {audience: kargo}
users:
- name: u
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: cred-plugin
      args: ["get-token", "--x", "a;rm -rf /"]
      env: [{name: MODE, value: test}]
      installHint: install it
      interactiveMode: Never
      provideClusterInfo: true
contexts:
- name: exec
  context: {cluster: c, user: u, namespace: myapp}
""",
    """apiVersion: v1
kind: Config
current-context: basic
clusters:
- {name: c, cluster: {server: "http://localhost:8080/", insecure-skip-tls-verify: true, proxy-url: "http://proxy:3128"}}
users:
- {name: u, user: {username: admin, password: s3cret, as: alice, as-groups: [a, b]}}
contexts:
- {name: basic, context: {cluster: c, user: u}}
""",
    """apiVersion: v1
kind: Config
current-context: gke
clusters:
- name: gke
  cluster: {server: https://34.1.2.3}
users:
- name: gke
  user:
    auth-provider: {name: gcp, config: {cmd-path: gcloud}}
contexts:
- name: gke
  context: {cluster: gke, user: gke}
""",
]


def put(harness, data):
    d = os.path.join(OUT, harness)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def objects():
    """Every object of the fixtures, as JSON-able values."""
    for path in sorted(glob.glob(os.path.join(ROOT, "tests/model/fixtures/*.json")) +
                       glob.glob(os.path.join(ROOT, "tests/ui/fixtures/*.json"))):
        doc = json.load(open(path))
        yield from doc.get("items", [doc])
    yamls = sorted(glob.glob(os.path.join(ROOT, "tests/ui/fixtures/*.yaml")) +
                   glob.glob(os.path.join(ROOT, "tests/sim/data/*.yaml")) +
                   glob.glob(os.path.join(ROOT, "src/sim/scenarios/*.yaml")) +
                   glob.glob(os.path.join(ROOT, "../shared/reference/kargo-examples/*.yaml")))
    for path in yamls:
        for doc in yaml.safe_load_all(open(path)):
            if isinstance(doc, dict):
                yield from doc.get("items", [doc]) if doc.get("kind", "").endswith("List") else [doc]


def main():
    per = {}
    events = []
    for obj in objects():
        h = KINDS.get(obj.get("kind"))
        if h is None:
            continue
        text = json.dumps(obj, default=str, separators=(",", ":"))
        per.setdefault(h, []).append(text)
        if len(events) < 30:
            events.append(json.dumps({"type": "ADDED", "object": obj}, default=str,
                                     separators=(",", ":")))
    for h, texts in per.items():
        # Keep the largest and a spread of the rest: the largest carry the most fields.
        texts = sorted(set(texts), key=len, reverse=True)
        step = max(1, len(texts) // PER_KIND)
        for t in texts[::step][:PER_KIND]:
            put(h, t)
    # Watch streams: a chunking byte, then events one per line, a BOOKMARK and a 410 ERROR.
    for i in range(0, len(events), 3):
        stream = "\n".join(events[i:i + 3]) + "\n"
        put("watch", bytes([i % 251]) + stream.encode())
    put("watch", b"\x07" + b'{"type":"BOOKMARK","object":{"kind":"Stage","metadata":{"resourceVersion":"1234"}}}\n')
    put("watch", b"\x03" + b'{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: 1 (1200)","reason":"Expired","code":410}}\n')
    # Status bodies: two bytes of HTTP code, then the body.
    statuses = [
        (403, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": "stages.kargo.akuity.io is forbidden: User \"viewer\" cannot list resource \"stages\" in API group \"kargo.akuity.io\" in the namespace \"myapp\"",
               "reason": "Forbidden", "details": {"group": "kargo.akuity.io", "kind": "stages"}, "code": 403}),
        (404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": "stages.kargo.akuity.io \"prod\" not found", "reason": "NotFound", "code": 404}),
        (409, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": "Operation cannot be fulfilled", "reason": "Conflict", "code": 409}),
        (422, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": "Promotion.kargo.akuity.io \"x\" is invalid: spec.freight: Freight is not available to this Stage", "reason": "Invalid", "details": {"causes": [{"field": "spec.freight", "message": "not available"}]}, "code": 422}),
        (429, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": "Too many requests, please try again later.", "reason": "TooManyRequests", "details": {"retryAfterSeconds": 1}, "code": 429}),
        (500, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": "Internal error occurred", "reason": "InternalError", "code": 500}),
        (401, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": "Unauthorized", "reason": "Unauthorized", "code": 401}),
    ]
    for code, body in statuses:
        put("status", code.to_bytes(2, "big") + json.dumps(body).encode())
    put("status", (502).to_bytes(2, "big") + b"<html><body>Bad Gateway</body></html>")
    put("status", (503).to_bytes(2, "big"))
    # Kubeconfigs: the string literals of the kubeconfig tests.
    src = open(os.path.join(ROOT, "tests/kube/test_kubeconfig.c")).read()
    for m in re.finditer(r'static const char \*\w+\s*=\s*((?:\s*"(?:[^"\\]|\\.)*")+);', src):
        text = "".join(json.loads('"' + s + '"') for s in re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1)))
        if "kind: Config" in text or "clusters:" in text:
            put("kubeconfig", text)
    for text in KUBECONFIGS:
        put("kubeconfig", text)
    # Scenarios: the simulator's test data and built-in scenarios (the large ones cut short).
    for path in sorted(glob.glob(os.path.join(ROOT, "tests/sim/data/*.yaml")) +
                       glob.glob(os.path.join(ROOT, "src/sim/scenarios/*.yaml"))):
        text = open(path).read()
        docs = text.split("\n---\n")
        for i in range(0, len(docs), 12):
            put("scenario", "\n---\n".join(docs[i:i + 12])[:60000])
    return 0


if __name__ == "__main__":
    sys.exit(main())
