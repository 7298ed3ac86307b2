"""Benchmark: the family service planner under load, on SQLite and PostgreSQL (127.0.0.1 only, bounded in time).

N advisors (default 50) each sign in through the JSON API, make three families, then for S seconds (default 60)
do a mix of reads and writes, pausing between actions for a random think time (exponential, mean ``--think``
seconds, default 1: an advisor clicking every second, faster than any person works; ``--think 0`` sends the next
request as soon as the last is answered, which measures the most the server can take): list their caseload (20%),
read a family (30%), search the directory by issue and postcode (10%), capture an issue (15%), add a plan item
(10%), move one on (5%) and record a progress score (10%). The server is ``circles planner serve`` (uvicorn,
``--workers`` processes) in its own process; the advisors are one asyncio process of httpx clients, so both
share the machine's cores.

Prints requests, throughput, latency percentiles (p50/p95/p99, reads and writes apart), errors, and the writes
acknowledged (2xx with an id) that are not in the database afterwards (lost writes). Targets: p95 under 300 ms,
no errors, no lost writes.

    .venv/bin/python benchmarks/bench_planner.py [--advisors 50] [--seconds 60] [--backend sqlite|postgresql|both]
        [--postgres URL] [--json PATH]

PostgreSQL needs a server URL (``--postgres`` or ``CIRCLES_TEST_POSTGRES``; ``.ci/postgres`` starts one): a new
database is made on it for the run and dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from machine import add_json_option, save

PASSWORD = "benchmark pass phrase 2026"
POSTCODES = ["BB2 3HH", "BB1 7DY", "BB1 1AA", "BB3 0AA"]
ISSUES = ["low_income", "worklessness", "rent_arrears", "drinking", "family_strain", "school", "mental_health"]
AREAS = ["Money", "Home", "Family life", "Drinking", "Health"]
MIX = [("caseload", 20), ("family", 30), ("search", 10), ("issue", 15), ("plan", 10), ("move", 5), ("score", 10)]
WRITES = {"issue", "plan", "move", "score"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(url: str, key_file: Path, port: int, workers: int) -> subprocess.Popen:
    """The server: ``circles planner serve`` in its own process (uvicorn; ``workers`` processes)."""
    command = [sys.executable, "-m", "circles.cli", "planner", "serve", "--db", url, "--key-file", str(key_file)]
    command += ["--port", str(port), "--insecure-cookies", "--workers", str(workers)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _prepare(url: str, key_file: Path, advisors: int) -> None:
    from circles.planner.auth import add_user
    from circles.planner.crypto import create_key_file, load_key_file
    from circles.planner.db import connect, upgrade
    from circles.planner.directory import import_directory
    from circles.resources import packaged

    create_key_file(key_file)
    db = connect(url, load_key_file(key_file))
    upgrade(db)
    with db.session() as session:
        import_directory(session, None, packaged("pipelines") / "demo_services.yaml")
        for number in range(advisors):
            add_user(session, f"adv{number:02d}", "advisor", PASSWORD, team=f"team{number % 5}")
    db.dispose()


class Advisor:
    """One advisor's client: its session, its families and what the server acknowledged."""

    def __init__(self, base: str, name: str, rng: random.Random) -> None:
        self.client = httpx.AsyncClient(base_url=base, timeout=30.0)
        self.name, self.rng = name, rng
        self.families: list[str] = []
        self.items: list[tuple[str, int, str]] = []  # (family, issue, a suggested service): for a plan item
        self.moved: list[tuple[str, int]] = []  # (family, plan item): to move on to engaged
        self.acknowledged: dict[str, set[int]] = {"issue": set(), "plan": set(), "score": set()}

    async def start(self) -> None:
        answer = await self.client.post("/api/v1/session", json={"username": self.name, "password": PASSWORD})
        answer.raise_for_status()
        self.client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
        for number in range(3):
            made = await self.client.post(
                "/api/v1/families",
                json={"name": f"{self.name} family {number}", "postcode": self.rng.choice(POSTCODES)},
            )
            made.raise_for_status()
            self.families.append(made.json()["id"])

    async def one(self, kind: str) -> httpx.Response:
        family = self.rng.choice(self.families)
        if kind == "caseload":
            return await self.client.get("/api/v1/families")
        if kind == "family":
            return await self.client.get(f"/api/v1/families/{family}")
        if kind == "search":
            issue, postcode = self.rng.choice(ISSUES), self.rng.choice(POSTCODES)
            return await self.client.get("/api/v1/services", params={"issue": issue, "postcode": postcode})
        if kind == "issue":
            answer = await self.client.post(
                f"/api/v1/families/{family}/issues", json={"issue": self.rng.choice(ISSUES), "raised_by": "parent"}
            )
            if answer.status_code == 201:
                issue = answer.json()
                self.acknowledged["issue"].add(issue["issue"]["id"])
                services = issue["suggested_services"]
                if services:
                    self.items.append((family, issue["issue"]["id"], services[0]["id"]))
            return answer
        if kind == "plan" and self.items:
            family, issue_id, service = self.items.pop()
            answer = await self.client.post(
                f"/api/v1/families/{family}/plan-items",
                json={"service_id": service, "issue_id": issue_id, "status": "referred"},
            )
            if answer.status_code == 201:
                self.acknowledged["plan"].add(answer.json()["id"])
                self.moved.append((family, answer.json()["id"]))
            return answer
        if kind == "move" and self.moved:
            family, item = self.moved.pop()
            return await self.client.patch(f"/api/v1/families/{family}/plan-items/{item}", json={"status": "engaged"})
        answer = await self.client.post(
            f"/api/v1/families/{family}/scores", json={"area": self.rng.choice(AREAS), "score": self.rng.randint(1, 10)}
        )
        if answer.status_code == 201:
            self.acknowledged["score"].add(answer.json()["id"])
        return answer


async def _load(base: str, advisors: int, seconds: float, seed: int, think: float) -> tuple[list, list[Advisor]]:
    rng = random.Random(seed)
    clients = [Advisor(base, f"adv{n:02d}", random.Random(rng.random())) for n in range(advisors)]
    await asyncio.gather(*(c.start() for c in clients))
    kinds = [k for k, weight in MIX for _ in range(weight)]
    samples: list[tuple[str, float, int]] = []
    deadline = time.perf_counter() + seconds

    async def work(client: Advisor) -> None:
        while time.perf_counter() < deadline:
            kind = client.rng.choice(kinds)
            started = time.perf_counter()
            try:
                answer = await client.one(kind)
                status = answer.status_code
            except httpx.HTTPError:
                status = 0
            samples.append((kind, time.perf_counter() - started, status))
            if think > 0:
                await asyncio.sleep(client.rng.expovariate(1.0 / think))

    await asyncio.gather(*(work(c) for c in clients))
    await asyncio.gather(*(c.client.aclose() for c in clients))
    return samples, clients


def _lost_writes(url: str, key_file: Path, clients: list[Advisor]) -> dict[str, int]:
    from sqlalchemy import select

    from circles.planner.crypto import load_key_file
    from circles.planner.db import connect
    from circles.planner.models import FamilyIssue, PlanItem, ProgressScore

    db = connect(url, load_key_file(key_file))
    tables = {"issue": FamilyIssue, "plan": PlanItem, "score": ProgressScore}
    lost = {}
    with db.session() as session:
        for kind, table in tables.items():
            stored = set(session.scalars(select(table.id)))
            acknowledged = set().union(*(c.acknowledged[kind] for c in clients))
            lost[kind] = len(acknowledged - stored)
    db.dispose()
    return lost


def _postgres_database(server: str) -> tuple[str, Any]:
    from sqlalchemy import create_engine, text

    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return server.rsplit("/", 1)[0] + "/" + name, drop


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="circles-bench-planner-"))
    key_file = folder / "planner.key"
    drop = None
    if backend == "sqlite":
        url = f"sqlite:///{folder / 'planner.db'}"
    else:
        url, drop = _postgres_database(args.postgres)
    try:
        _prepare(url, key_file, args.advisors)
        port = _free_port()
        server = _serve(url, key_file, port, args.workers)
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                httpx.get(base + "/sign-in", timeout=1.0)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        try:
            samples, clients = asyncio.run(_load(base, args.advisors, args.seconds, args.seed, args.think))
        finally:
            server.terminate()  # uvicorn stops its workers on SIGTERM
            server.wait(30)
        lost = _lost_writes(url, key_file, clients)
    finally:
        if drop is not None:
            drop()
    return _figures(backend, samples, lost, args)


def _figures(backend: str, samples: list, lost: dict[str, int], args: argparse.Namespace) -> dict[str, Any]:
    def percentiles(rows: list) -> dict[str, float]:
        if not rows:
            return {"p50_ms": float("nan"), "p95_ms": float("nan"), "p99_ms": float("nan")}
        ms = np.array([r[1] for r in rows]) * 1000
        return {f"p{q}_ms": round(float(np.percentile(ms, q)), 1) for q in (50, 95, 99)}

    errors = [s for s in samples if not 200 <= s[2] < 300]
    reads = [s for s in samples if s[0] not in WRITES]
    writes = [s for s in samples if s[0] in WRITES]
    figures = {
        "backend": backend,
        "advisors": args.advisors,
        "seconds": args.seconds,
        "think_seconds_mean": args.think,
        "server_workers": args.workers,
        "requests": len(samples),
        "throughput_per_s": round(len(samples) / args.seconds, 1),
        **percentiles(samples),
        "reads": {"requests": len(reads), **percentiles(reads)},
        "writes": {"requests": len(writes), **percentiles(writes)},
        "errors": len(errors),
        "error_statuses": dict(Counter(str(s[2]) for s in errors)),
        "lost_writes": lost,
        "by_kind_median_ms": {
            k: round(statistics.median([s[1] for s in samples if s[0] == k]) * 1000, 1)
            for k, _ in MIX
            if any(s[0] == k for s in samples)
        },
    }
    verdict = "met" if figures["p95_ms"] < 300 and not errors and not any(lost.values()) else "NOT met"
    figures["target"] = f"p95 < 300 ms, 0 errors, 0 lost writes: {verdict}"
    print(
        f"{backend:>10}, {args.workers} worker(s), think {args.think:g} s: "
        f"{len(samples):,} requests in {args.seconds:g} s "
        f"({figures['throughput_per_s']:,} /s); "
        f"p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, p99 {figures['p99_ms']} ms "
        f"(reads p95 {figures['reads']['p95_ms']}, writes p95 {figures['writes']['p95_ms']}); "
        f"errors {len(errors)} {figures['error_statuses'] or ''}; lost writes {sum(lost.values())}; "
        f"target {verdict}"
    )
    return figures


def main() -> None:
    parser = add_json_option(argparse.ArgumentParser(description=__doc__.splitlines()[0]))
    parser.add_argument("--advisors", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=1, help="server processes (circles planner serve --workers)")
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between an advisor's actions")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--postgres", default=os.environ.get("CIRCLES_TEST_POSTGRES"), metavar="URL")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if "postgresql" in backends and not args.postgres:
        print("postgresql: no server URL (--postgres or CIRCLES_TEST_POSTGRES; .ci/postgres starts one): skipped")
        backends.remove("postgresql")
    results = {backend: run_backend(backend, args) for backend in backends}
    save(args.json, results, benchmark="bench_planner", packages=["fastapi", "uvicorn", "sqlalchemy", "psycopg"])


if __name__ == "__main__":
    main()
