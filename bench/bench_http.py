#!/usr/bin/python3
"""Load-tests `incontra serve` with wrk next to a minimal Beast server answering a fixed body.

Loads one event (2,000 participants and 500 needs by default, from the relevance dev set when
present, else generated), makes meeting requests and publishes a schedule through the API, warms
the suggestions cache, then runs wrk with the same threads, connections and duration against
GET .../participants/{id}/suggestions?top=20 and GET .../participants/{id}/agenda (rotating ids)
and against bench/minimal_server. Prints one JSON document on stdout; progress and wrk's own
reports go to stderr. Standard library only; needs wrk (`apt-get install wrk`). See
bench/README.md for what each figure means.
"""
import argparse
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
EVENT = "bench"
TARGET_RPS_RATIO = 0.5  # the issue: API routes at least half the minimal server's throughput
TARGET_P99_MS = 10.0    # the issue: p99 under 10 ms
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def log(msg):
    print(f"bench_http: {msg}", file=sys.stderr, flush=True)


def fail(msg, code=1):
    log(msg)
    sys.exit(code)


# ---- The event: participants and needs ----

def dev_set_event(folder, participants, needs, rng):
    """PAs are the dev needs' owners, companies first the winners of the chosen needs (so the
    answers have real counterparts), then others at random."""
    by_owner = {}
    with open(folder / "needs.jsonl", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                n = json.loads(line)
                by_owner.setdefault(n["owner"], []).append(n)
    winner = {}
    with open(folder / "truth.jsonl", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                t = json.loads(line)
                winner[t["need"]] = t["participant"]
    companies = {}
    with open(folder / "participants.jsonl", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                p = json.loads(line)
                companies[p["id"]] = p
    owners = sorted(by_owner, key=lambda o: (-len(by_owner[o]), o))
    owners = owners[:max(1, participants // 20)]
    pool = [n for o in owners for n in by_owner[o]]
    chosen = rng.sample(pool, min(needs, len(pool)))
    pas = [{"id": o, "kind": "pa", "name": f"Ente {o}"} for o in owners]
    want = participants - len(pas)
    picked, seen = [], set(owners)
    for n in chosen:
        cid = winner.get(n["id"])
        if cid in companies and cid not in seen and len(picked) < want:
            picked.append(companies[cid])
            seen.add(cid)
    rest = [c for cid, c in sorted(companies.items()) if cid not in seen]
    picked += rng.sample(rest, min(want - len(picked), len(rest)))
    return pas + picked, chosen


SECTORS = [
    ("manutenzione del verde pubblico e potatura alberi", "77310000"),
    ("servizi di pulizia di uffici e scuole", "90919200"),
    ("fornitura di arredi scolastici", "39160000"),
    ("software gestionale per enti locali", "48000000"),
    ("servizio di mensa scolastica", "55524000"),
    ("lavori stradali e asfaltatura", "45233140"),
    ("illuminazione pubblica a LED", "34928500"),
    ("trasporto scolastico con scuolabus", "60130000"),
    ("consulenza legale e patrocinio", "79100000"),
    ("formazione del personale", "80500000"),
    ("cancelleria e materiale di consumo", "30192000"),
    ("servizi informatici e cloud", "72000000"),
    ("manutenzione di impianti termici", "50720000"),
    ("raccolta e smaltimento dei rifiuti", "90500000"),
    ("sorveglianza e vigilanza armata", "79710000"),
    ("progettazione architettonica", "71200000"),
    ("servizi di assistenza domiciliare", "85310000"),
    ("fornitura di carburante per veicoli", "09130000"),
    ("stampa e tipografia", "79800000"),
    ("noleggio di fotocopiatrici", "30121100"),
]
QUALIFIERS = ["per le scuole", "per il comune", "per gli ospedali", "in Sardegna", "in Lombardia",
              "con installazione", "e assistenza tecnica", "biennale", "urgente",
              "per gli uffici comunali", "per impianti sportivi", "a basso impatto ambientale"]


def generated_event(participants, needs, rng):
    """Italian procurement phrases by sector, so that texts and codes overlap like real ones."""
    n_pa = max(1, participants // 20)
    pas = [{"id": f"pa{i:04d}", "kind": "pa", "name": f"Comune numero {i}"} for i in range(n_pa)]
    companies = []
    for i in range(participants - n_pa):
        sectors = rng.sample(SECTORS, rng.randint(1, 3))
        companies.append({
            "id": f"co{i:05d}", "kind": "company", "name": f"Impresa {i:05d} Srl",
            "offers": [f"{s} {rng.choice(QUALIFIERS)}" for s, _ in sectors],
            "cpv": [c for _, c in sectors]})
    chosen = []
    for i in range(needs):
        s, cpv = rng.choice(SECTORS)
        chosen.append({"id": f"need{i:05d}", "owner": rng.choice(pas)["id"],
                       "title": f"Affidamento {s} {rng.choice(QUALIFIERS)}", "cpv": [cpv]})
    return pas + companies, chosen


def write_jsonl(path, records):
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def import_records(incontra, db, path, kind):
    res = subprocess.run([str(incontra), "import", str(path), "--event", EVENT, "--kind", kind,
                          "--data", str(db)], capture_output=True, text=True)
    if res.returncode != 0:
        fail(f"incontra import --kind {kind} failed ({res.returncode}): {res.stderr.strip()}")


# ---- Processes ----

def start(cmd, env, log_path):
    """Starts a server and returns (process, port) once it prints its listening line
    ("... listening on http://127.0.0.1:PORT" or "listening on PORT"); its stderr goes to
    log_path, so a chatty server can never block on a full pipe."""
    err = open(log_path, "w")
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=err, text=True)
    err.close()
    line = proc.stdout.readline()
    match = re.search(r"listening on \S*?(\d+)\s*$", line)
    if not match:
        proc.kill()
        proc.wait()
        fail(f"{cmd[0]} did not start: {line.strip()} {Path(log_path).read_text().strip()}")
    return proc, int(match.group(1))


def stop(proc, name, log_path):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        log(f"{name} did not stop within 30 s of SIGTERM and was killed")
    if proc.returncode != 0:
        log(f"{name} exited with {proc.returncode}: {Path(log_path).read_text().strip()}")


def cpu_seconds(pid):
    """User + system CPU of a live process, all its threads (/proc/PID/stat fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def machine_busy_seconds():
    """CPU seconds spent on anything but idle and iowait, over all CPUs (/proc/stat)."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    steal = values[7] if len(values) > 7 else 0
    return (sum(values[:8]) - idle - steal) / CLOCK_TICKS, steal / CLOCK_TICKS


# ---- HTTP with the standard library (set-up and probes, not load) ----

class Client:
    def __init__(self, port, key):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.key = key

    def call(self, method, path, body=None, key=None):
        """Returns (status, parsed JSON body or None, body bytes); `key` replaces the client's
        own for this call."""
        headers = {"Authorization": f"Bearer {key or self.key}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        self.conn.request(method, path, body=data, headers=headers)
        res = self.conn.getresponse()
        text = res.read()
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
        return res.status, parsed, len(text)


def percentile(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))] if s else None


def timings(values):
    return {"p50": round(percentile(values, 50), 3), "p99": round(percentile(values, 99), 3),
            "mean": round(sum(values) / len(values), 3)} if values else None


def suggestions_path(pid, top):
    return f"/v1/events/{EVENT}/participants/{pid}/suggestions?top={top}"


def agenda_path(pid):
    return f"/v1/events/{EVENT}/participants/{pid}/agenda"


def record_path(pid):
    return f"/v1/events/{EVENT}/participants/{pid}"


def warm_up(client, ids, kinds, top):
    """Builds the event's matcher if no request since the last write did (the first suggestions
    answer), then asks once for every id, one request at a time, checking each answer: whatever
    the server caches is warm before the load, and the one-at-a-time latencies show the cost of
    a request without queueing. Returns the figures and the mean answer size."""
    t0 = time.perf_counter()
    status, body, _ = client.call("GET", suggestions_path(ids[0], top))
    first_ms = (time.perf_counter() - t0) * 1000
    if status != 200 or not isinstance(body, dict) or "matches" not in body:
        fail(f"suggestions for {ids[0]} answered {status}: {body}")
    sizes, by_kind, empty = [], {}, 0
    for pid in ids:
        t0 = time.perf_counter()
        status, body, size = client.call("GET", suggestions_path(pid, top))
        by_kind.setdefault(kinds[pid], []).append((time.perf_counter() - t0) * 1000)
        if status != 200 or body.get("participant") != pid:
            fail(f"suggestions for {pid} answered {status}: {body}")
        sizes.append(size)
        empty += not body["matches"]
    every = [t for times in by_kind.values() for t in times]
    return {
        "first_suggestions_ms": round(first_ms, 1),
        "one_at_a_time_ms": timings(every),
        "one_at_a_time_ms_by_kind": {k: dict(timings(v), requests=len(v))
                                     for k, v in sorted(by_kind.items())},
        "answer_bytes_mean": round(sum(sizes) / len(sizes)),
        "answers_without_matches": empty,
    }, round(sum(sizes) / len(sizes))


def seed_meetings(client, ids, count, top):
    """Accepted meeting requests between participants and their best suggestion, as people
    would make them. Returns how many were created."""
    made, pairs = 0, set()
    for pid in ids:
        if made >= count:
            break
        status, body, _ = client.call("GET", suggestions_path(pid, top))
        for m in (body or {}).get("matches", [])[:1]:
            pair = frozenset((pid, m["participant"]))
            if pair in pairs:
                continue
            status, req, _ = client.call("POST", f"/v1/events/{EVENT}/requests",
                                         {"from": pid, "to": m["participant"],
                                          "message": "bench"})
            if status != 201:
                fail(f"POST request {pid} -> {m['participant']} answered {status}: {req}")
            status, acc, _ = client.call("POST", f"/v1/events/{EVENT}/requests/{req['id']}/accept")
            if status != 200:
                fail(f"accept {req['id']} answered {status}: {acc}")
            pairs.add(pair)
            made += 1
    return made


def error_code(body):
    return ((body or {}).get("error") or {}).get("code") if isinstance(body, dict) else None


def publish_schedule(client, event, time_limit_ms):
    """Gives the event two days of half-hour slots and publishes a schedule of the accepted
    requests plus mutual suggestions (fill), so agendas hold what a real event's would. The
    schedule route may not exist yet or may refuse: then the agendas stay empty and the
    answer's status and code say why."""
    event = dict(event, name="Bench brokerage event", timezone="Europe/Rome", slot_minutes=30,
                 max_meetings_per_participant=10,
                 days=[{"date": d, "sessions": [{"start": "09:00", "end": "13:00"},
                                                {"start": "14:00", "end": "18:00"}]}
                       for d in ("2027-02-25", "2027-02-26")])
    status, body, _ = client.call("PUT", f"/v1/events/{EVENT}", event)
    if status != 200:
        return {"published": False, "step": "PUT event", "status": status,
                "code": error_code(body)}
    t0 = time.perf_counter()
    status, body, _ = client.call("POST", f"/v1/events/{EVENT}/schedule",
                                  {"fill": True, "time_limit_ms": time_limit_ms})
    ms = round((time.perf_counter() - t0) * 1000)
    if status != 201 or not isinstance(body, dict):
        return {"published": False, "step": "POST schedule", "status": status,
                "code": error_code(body)}
    records = body.get("meetings", [])
    stats = body.get("stats", {})
    return {"published": True, "ms": ms, "version": body.get("version"),
            "meetings": sum(m.get("status") == "scheduled" for m in records),
            "from_requests": sum(m.get("source") == "request" for m in records),
            "unscheduled": stats.get("unscheduled"), "breaks_total": stats.get("breaks_total")}


def make_tokens(client, ids):
    """One participant token per id (POST .../participants/{id}/tokens)."""
    keys = {}
    for pid in ids:
        status, body, _ = client.call("POST", f"/v1/events/{EVENT}/participants/{pid}/tokens")
        if status != 201 or not isinstance(body, dict) or "token" not in body:
            fail(f"POST tokens for {pid} answered {status}: {body} (try --auth admin)")
        keys[pid] = body["token"]
    return keys


def probe_agenda(client, ids, keys, samples):
    """Asks for a few agendas one at a time, each with the key the load will use. Returns
    (figures, None), or (None, what the probe got) when the route does not answer 200: it may
    not exist yet."""
    times, sizes, meetings = [], [], []
    for pid in ids[:samples]:
        t0 = time.perf_counter()
        status, body, size = client.call("GET", agenda_path(pid), key=keys.get(pid))
        times.append((time.perf_counter() - t0) * 1000)
        if status != 200 or not isinstance(body, dict) or "meetings" not in body:
            return None, {"available": False, "probe_status": status,
                          "probe_code": error_code(body), "path": agenda_path("{id}")}
        sizes.append(size)
        meetings.append(len(body["meetings"]))
    return {"one_at_a_time_ms": timings(times), "answer_bytes_mean": round(sum(sizes) / len(sizes)),
            "meetings_per_agenda_mean": round(sum(meetings) / len(meetings), 2),
            "samples": len(times)}, None


# ---- wrk ----

def write_paths(path, ids, make_path, keys):
    """One request a line: its path, and with per-participant keys a tab and the key."""
    with open(path, "w") as f:
        for pid in ids:
            f.write(make_path(pid) + (f"\t{keys[pid]}" if keys else "") + "\n")


def run_wrk(args, name, port, paths_file, key, server_pid):
    env = dict(os.environ, INCONTRA_BENCH_PATHS=str(paths_file), INCONTRA_BENCH_KEY=key)
    cmd = [args.wrk, f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s",
           "--timeout", "5s", "--latency", "-s", str(BENCH / "http_load.lua"),
           f"http://127.0.0.1:{port}/"]
    log(f"{name}: {' '.join(cmd)}")
    server_cpu0 = cpu_seconds(server_pid)
    busy0, steal0 = machine_busy_seconds()
    load0 = os.getloadavg()[0]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    server_cpu = cpu_seconds(server_pid) - server_cpu0
    busy1, steal1 = machine_busy_seconds()
    wrk_cpu = usage.ru_utime + usage.ru_stime
    result = None
    for line in out.splitlines():
        if line.startswith("INCONTRA_WRK "):
            result = json.loads(line[len("INCONTRA_WRK "):])
        else:
            print(f"  {line}", file=sys.stderr)
    if proc.returncode != 0 or result is None:
        fail(f"wrk against {name} failed (exit {proc.returncode})")
    seconds = result["duration_us"] / 1e6
    n = result["requests"]
    lat = {k: round(v / 1000, 3) for k, v in result["latency_us"].items()}
    errors = result["errors"]
    return {
        "requests": n,
        "duration_s": round(seconds, 2),
        "requests_per_s": round(n / seconds, 1),
        "latency_ms": lat,
        "non_2xx": errors["status"],
        "socket_errors": {k: errors[k] for k in ("connect", "read", "write", "timeout")},
        "bytes_per_response": round(result["bytes"] / n) if n else None,
        "cpu": {
            "server_s": round(server_cpu, 2),
            "server_us_per_request": round(server_cpu / n * 1e6, 1) if n else None,
            "wrk_s": round(wrk_cpu, 2),
            # Everything else the machine did meanwhile: other processes, the kernel's own.
            "others_s": round(max(0.0, (busy1 - busy0) - server_cpu - wrk_cpu), 2),
            "steal_s": round(steal1 - steal0, 2),
        },
        "loadavg_1m_before": round(load0, 2),
    }


def settle(pid, timeout_s=30):
    """Waits until the server has finished what the last run left queued (a slow route can
    still be answering wrk's last requests after wrk stops): until it uses under 5% of a CPU
    over 200 ms, at most `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    before = cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = cpu_seconds(pid)
        if now - before < 0.01:
            return
        before = now


def ratio(a, b):
    return float(f"{a / b:.3g}") if a is not None and b else None  # 3 significant digits


def verdicts(results):
    minimal = results.get("minimal", {})
    out = {}
    for name in ("suggestions", "agenda", "record"):
        r = results.get(name)
        if not r or "requests_per_s" not in r:
            continue
        rps_ratio = ratio(r["requests_per_s"], minimal.get("requests_per_s"))
        out[name] = {
            "requests_per_s_over_minimal": rps_ratio,
            "p99_over_minimal": ratio(r["latency_ms"]["p99"],
                                      minimal.get("latency_ms", {}).get("p99")),
            # Server CPU per request shifts far less with other load than requests/s does.
            "server_cpu_per_request_over_minimal": ratio(
                r["cpu"]["server_us_per_request"],
                minimal.get("cpu", {}).get("server_us_per_request")),
            "meets_throughput": rps_ratio is not None and rps_ratio >= TARGET_RPS_RATIO,
            "meets_p99": r["latency_ms"]["p99"] < TARGET_P99_MS,
            "no_errors": r["non_2xx"] == 0 and not any(r["socket_errors"].values()),
        }
    return out


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--incontra", type=Path, default=REPO / "build/server/incontra")
    ap.add_argument("--minimal", type=Path, default=REPO / "build/bench/minimal_server")
    ap.add_argument("--wrk", default=shutil.which("wrk") or "/usr/bin/wrk")
    ap.add_argument("--data-dir", type=Path, default=REPO.parent / "shared/data",
                    help="folder holding relevance-dev/; generated texts when it is missing")
    ap.add_argument("--participants", type=int, default=2000)
    ap.add_argument("--needs", type=int, default=500)
    ap.add_argument("--meetings", type=int, default=200,
                    help="accepted meeting requests created through the API before the runs")
    ap.add_argument("--schedule-ms", type=int, default=5000,
                    help="time limit of the published schedule's search")
    ap.add_argument("--no-schedule", action="store_true",
                    help="publish no schedule (agendas stay empty)")
    ap.add_argument("--auth", choices=["admin", "participant"], default="admin",
                    help="admin: every request with INCONTRA_ADMIN_KEY; participant: each "
                         "request with the token of the participant it is for")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--top", type=int, default=20)
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    ap.add_argument("--threads", type=int, default=2, help="wrk threads")
    ap.add_argument("--connections", type=int, default=32, help="wrk connections")
    ap.add_argument("--server-threads", type=int, default=2,
                    help="threads of both servers (incontra serve's default is 2)")
    ap.add_argument("--serve-option", action="append", default=[],
                    help="an extra option for incontra serve, e.g. --serve-option=--quiet "
                         "(to see what the access log costs); repeatable")
    ap.add_argument("--only", choices=["suggestions", "agenda", "minimal", "record"],
                    action="append",
                    help="run only these targets (repeatable); default suggestions, agenda and "
                         "minimal; 'record' (GET of a participant's record: the API's routing, "
                         "auth and store reads without matching) runs only when named")
    ap.add_argument("--keep", action="store_true", help="keep the temporary data folder")
    return ap.parse_args()


def main():
    args = parse_args()
    if not os.path.exists(args.wrk):
        fail(f"wrk not found ({args.wrk}): install it with `apt-get install wrk`", 2)
    for binary, target in ((args.incontra, "incontra"), (args.minimal, "minimal_server")):
        if not binary.exists():
            fail(f"{binary} is missing: cmake --build build -j2 --target {target}", 2)
    if args.participants < 2 or args.needs < 0 or args.duration < 1:
        fail("--participants at least 2, --needs at least 0, --duration at least 1", 2)
    targets = args.only or ["suggestions", "agenda", "minimal"]
    rng = random.Random(args.seed)

    tmp = Path(tempfile.mkdtemp(prefix="incontra-bench-http-"))
    servers = []
    try:
        dev = args.data_dir / "relevance-dev"
        t0 = time.perf_counter()
        if (dev / "participants.jsonl").exists():
            participants, needs = dev_set_event(dev, args.participants, args.needs, rng)
            source = f"relevance-dev ({dev})"
        else:
            log(f"{dev} not found: generating texts")
            participants, needs = generated_event(args.participants, args.needs, rng)
            source = "generated"
        write_jsonl(tmp / "participants.jsonl", participants)
        write_jsonl(tmp / "needs.jsonl", needs)
        db = tmp / "db"
        import_records(args.incontra, db, tmp / "participants.jsonl", "participant")
        import_records(args.incontra, db, tmp / "needs.jsonl", "need")
        import_ms = round((time.perf_counter() - t0) * 1000)
        log(f"event '{EVENT}': {len(participants)} participants, {len(needs)} needs ({source})")

        admin_key = secrets.token_hex(16)
        env = dict(os.environ, INCONTRA_ADMIN_KEY=admin_key)
        api, api_port = start([str(args.incontra), "serve", "--data", str(db), "--port", "0",
                               "--threads", str(args.server_threads)] + args.serve_option,
                              env, tmp / "serve.log")
        servers.append((api, "incontra serve", tmp / "serve.log"))
        client = Client(api_port, admin_key)
        status, event, _ = client.call("GET", f"/v1/events/{EVENT}")
        if status != 200:
            fail(f"GET /v1/events/{EVENT} answered {status}: {event}")
        ids = [p["id"] for p in participants]
        rng.shuffle(ids)
        kinds = {p["id"]: p["kind"] for p in participants}
        meetings = seed_meetings(client, ids, args.meetings, args.top)
        schedule = ({"published": False, "step": "--no-schedule"} if args.no_schedule
                    else publish_schedule(client, event, args.schedule_ms))
        log(f"schedule: {schedule}")
        # After the last write, so the runs find whatever the warm-up leaves cached.
        warm, body_bytes = warm_up(client, ids, kinds, args.top)
        keys = make_tokens(client, ids) if args.auth == "participant" else {}
        agenda_probe, agenda_missing = probe_agenda(client, ids, keys, 50)
        client.conn.close()

        files = {"suggestions": (tmp / "suggestions.paths",
                                 lambda i: suggestions_path(i, args.top)),
                 "agenda": (tmp / "agenda.paths", agenda_path),
                 "record": (tmp / "record.paths", record_path)}
        for file, make_path in files.values():
            write_paths(file, ids, make_path, keys)

        minimal, minimal_port = start([str(args.minimal), "--threads", str(args.server_threads),
                                       "--body-bytes", str(body_bytes)], None,
                                      tmp / "minimal.log")
        servers.append((minimal, "minimal_server", tmp / "minimal.log"))

        key = "" if keys else admin_key  # with per-participant keys, each line carries its own
        results = {}
        for name in targets:
            if name == "agenda" and agenda_missing:
                log(f"agenda: not available (probe answered {agenda_missing['probe_status']} "
                    f"{agenda_missing['probe_code']})")
                results[name] = agenda_missing
                continue
            if name == "minimal":  # the suggestions requests, headers and all; a fixed body
                results[name] = run_wrk(args, name, minimal_port, files["suggestions"][0], key,
                                        minimal.pid)
                results[name]["body_bytes"] = body_bytes
            else:
                results[name] = run_wrk(args, name, api_port, files[name][0], key, api.pid)
                results[name]["path"] = files[name][1]("{id}")
            if name == "agenda":
                results[name].update(available=True, one_at_a_time=agenda_probe)
            settle(api.pid if name != "minimal" else minimal.pid)

        print(json.dumps({
            "machine": {"cpus": os.cpu_count(), "loadavg": [round(x, 2) for x in os.getloadavg()]},
            "config": {"duration_s": args.duration, "wrk_threads": args.threads,
                       "connections": args.connections, "server_threads": args.server_threads,
                       "top": args.top, "seed": args.seed, "auth": args.auth},
            "event": {"source": source, "participants": len(participants),
                      "pa": sum(p["kind"] == "pa" for p in participants),
                      "needs": len(needs), "accepted_requests": meetings,
                      "import_ms": import_ms, "schedule": schedule},
            "warm_up": warm,
            "targets": results,
            "ratios": verdicts(results),
            "target": {"requests_per_s_over_minimal": TARGET_RPS_RATIO,
                       "p99_ms_under": TARGET_P99_MS},
        }, indent=2))
    finally:
        for proc, name, log_path in reversed(servers):
            if proc.poll() is None:
                stop(proc, name, log_path)
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
