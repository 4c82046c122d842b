#!/usr/bin/python3
"""How a meeting request's create + accept costs as an event's requests grow, over HTTP.

Usage: /usr/bin/python3 bench/bench_requests.py [--incontra BIN] [--participants N] [--requests K]

Starts `incontra serve` on a temporary database (port chosen by the system), imports N companies,
then sends K requests between random pairs, each accepted at once, one client at a time; prints
one JSON document: per checkpoint, the median and 99th percentile of the last 100 create+accept
round trips. Request checks (duplicates, quotas) run one at a time across the whole server, so
these figures bound how many requests per second an event's opening can take. Standard library
only; progress goes to stderr.
"""
import argparse
import http.client
import json
import os
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--incontra", default=os.path.join(HERE, "..", "build", "server", "incontra"))
    ap.add_argument("--participants", type=int, default=2000)
    ap.add_argument("--requests", type=int, default=5000)
    args = ap.parse_args()
    if not os.path.exists(args.incontra):
        sys.exit(f"bench_requests: no binary at {args.incontra}; build first (README)")

    tmp = tempfile.mkdtemp(prefix="incontra-bench-requests-")
    admin = secrets.token_hex(16)
    server = subprocess.Popen(
        [args.incontra, "serve", "--data", os.path.join(tmp, "data"), "--port", "0",
         "--rate-limit", "0", "--quiet"],
        stdout=subprocess.PIPE, env=dict(os.environ, INCONTRA_ADMIN_KEY=admin), text=True)
    try:
        port = int(re.search(r":(\d+)", server.stdout.readline()).group(1))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

        def call(method, path, body=None, content_type="application/json"):
            data = body if isinstance(body, str) or body is None else json.dumps(body)
            headers = {"Authorization": f"Bearer {admin}", "Content-Type": content_type}
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            return response.status, json.loads(response.read() or b"null")

        assert call("POST", "/v1/events", {"id": "ev", "tables": 100})[0] == 201
        people = "\n".join(json.dumps({"id": f"p{i}", "kind": "company", "name": f"P{i}"})
                           for i in range(args.participants))
        status, _ = call("POST", "/v1/events/ev/participants:import", people,
                         "application/x-ndjson")
        assert status == 200, status
        rnd = random.Random(7)
        checkpoints = sorted({c for c in (100, 1000, 2500, 5000, 10000, args.requests)
                              if c <= args.requests})
        report = {"participants": args.participants, "checkpoints": []}
        window = []
        started = time.perf_counter()
        for k in range(1, args.requests + 1):
            a, b = rnd.sample(range(args.participants), 2)
            t0 = time.perf_counter()
            status, r = call("POST", "/v1/events/ev/requests", {"from": f"p{a}", "to": f"p{b}"})
            if status == 201:
                assert call("POST", f"/v1/events/ev/requests/{r['id']}/accept")[0] == 200
            window = (window + [time.perf_counter() - t0])[-100:]
            if k in checkpoints:
                w = sorted(window)
                point = {"requests": k, "create_accept_p50_ms": round(w[len(w) // 2] * 1000, 2),
                         "create_accept_p99_ms": round(w[min(len(w) - 1, len(w) * 99 // 100)] * 1000, 2)}
                report["checkpoints"].append(point)
                sys.stderr.write(f"{point}\n")
        report["total_s"] = round(time.perf_counter() - started, 1)
        print(json.dumps(report, indent=2))
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
