"""Benchmark Guardian's decide() and policy evaluation, side by side with cedarpy and agent-governance-toolkit.

Run from the checkout, in Guardian's venv:

    . .venv/bin/activate && python bench/decide.py [--quick] [--rules 10,100,1000,10000] [--no-peers]
        [--profile]   # also cProfile decide() at 1,000 rules (ALLOW/DENY and ASK intents apart)

For each rule count it generates a realistic rule set and a pool of distinct intents (the same for
every engine), times Guardian's evaluation alone and the full `Guardian.decide()` path in process,
then runs each peer in its own venv (bench/.venvs/<name>, made with uv when missing) as a subprocess
on the same rules and intents (bench/.data/job-N.json). It also times loading a 10,000-rule YAML file
in a fresh process. At 1,000 rules it also times the floor (bench/decide_floor.py): the same
decisions' work fused into one function, with none of the gate, checks, budgets or proposals, so
the floor bounds what any Python version of decide() could reach here. Latencies are per call
(perf_counter_ns); p50 / p99 in microseconds.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from decide_floor import FusedDecider, check_equivalent
from peers.common import run_timed

import guardian
from guardian import Guardian, Intent
from guardian.core.principal import Principal
from guardian.policy.evaluate import CompiledPolicy
from guardian.policy.load import load_policy
from guardian.policy.patterns import compile_pattern
from guardian.policy.ratelimit import MemoryRateCounter

BENCH = Path(__file__).resolve().parent
DATA = BENCH / ".data"
VENVS = BENCH / ".venvs"
LOAD_RULES = 10_000

Rule = dict[str, Any]
#: (actor, action, target, params): one intent, as every engine receives it.
IntentSpec = tuple[str, str, str, dict[str, Any]]


@dataclass(frozen=True)
class Settings:
    """How much to measure: pool size, per-engine sample caps and time budgets."""

    pool: int
    guardian_samples: int
    guardian_budget_s: float
    peer_samples: int
    peer_budget_s: float
    warmup: int
    min_samples: int
    load_runs: int


FULL = Settings(3000, 100_000, 20.0, 20_000, 30.0, 200, 200, 5)
QUICK = Settings(1000, 5_000, 2.0, 300, 3.0, 20, 50, 1)


@dataclass(frozen=True)
class Peer:
    """A peer engine: its venv name, the requirement installed there, its script in bench/peers."""

    name: str
    venv: str
    requirement: str
    script: str


PEERS = (
    Peer("cedarpy", "cedarpy", "cedarpy==4.12.2", "cedar_peer.py"),
    Peer("agent-governance-toolkit", "agt", "agent-governance-toolkit[core]==4.1.0", "agt_peer.py"),
)


@dataclass
class Timing:
    """Per-call samples (ns) of one engine on one rule set, and its decisions on the pool."""

    samples_ns: list[int]
    decisions: dict[int, str]
    load_s: float = 0.0
    notes: str = ""
    version: str = ""
    offset: int = 0  # position in the sample order of the first timed call

    def p(self, q: float) -> float:
        """Nearest-rank percentile in microseconds."""
        return percentile(self.samples_ns, q)

    def by_verdict(self, order: Sequence[int]) -> dict[str, list[int]]:
        """The samples split by the decision of the intent each one timed."""
        out: dict[str, list[int]] = {}
        size = len(order)
        for k, sample in enumerate(self.samples_ns):
            verdict = self.decisions[order[(self.offset + k) % size]]
            out.setdefault(verdict, []).append(sample)
        return out


def percentile(samples_ns: Sequence[int], q: float) -> float:
    """Nearest-rank percentile of nanosecond samples, in microseconds."""
    ordered = sorted(samples_ns)
    rank = max(1, min(len(ordered), round(q * len(ordered) + 0.5)))
    return ordered[rank - 1] / 1000


# -- workload ---------------------------------------------------------------------------------

NAMESPACES = ("db", "fs", "http", "email", "payments", "crm", "k8s", "git", "slack", "s3",
              "calendar", "search", "shell", "tickets", "vault", "analytics")  # fmt: skip
VERBS = ("read", "write", "list", "delete", "query", "create", "update", "send", "get", "exec")
TEAMS = ("billing", "support", "sales", "ops", "research", "hr", "legal", "data", "devops", "mkt")
VENDORS = ("stripe", "github", "slack", "hubspot", "zendesk", "twilio")
ENVS = ("prod", "dev", "staging")
#: (CEL condition, weight); peers translate this subset (see bench/peers/*.py).
CONDITIONS = (
    ("params.amount < 100", 3),
    ("params.amount < 1000", 2),
    ("params.amount >= 1000", 2),
    ('params.env == "prod"', 2),
    ('params.env in ["dev", "staging"]', 1),
    ('params.env == "prod" && params.amount < 1000', 1),
)
#: Rule shapes and weights: exact names dominate, then namespace and team wildcards, target globs.
KINDS = (("exact_target", 25), ("exact_any", 20), ("namespace", 15), ("team", 10),
         ("target_glob", 12), ("lists", 5), ("sensitive", 5))  # fmt: skip


class Universe:
    """The names a rule set of a given size draws from: agents grow with it, tools do not."""

    def __init__(self, rules: int, rng: random.Random) -> None:
        self.rng = rng
        per_team = max(1, rules // (8 * len(TEAMS)))
        self.agents = [f"{team}-agent-{i}" for team in TEAMS for i in range(per_team)]
        self.tools = [f"{ns}.{verb}" for ns in NAMESPACES for verb in VERBS]
        self.targets = [self.target() for _ in range(4000)]

    def target(self, ns: str | None = None, team: str | None = None) -> str:
        rng = self.rng
        ns = ns or rng.choice(NAMESPACES)
        team = team or rng.choice(TEAMS)
        if ns in ("fs", "s3", "analytics"):
            name = rng.choice((f"q{rng.randint(1, 4)}-202{rng.randint(0, 5)}", rng.choice(
                ("summary", "ledger", "export", "notes", "backup"))))  # fmt: skip
            folder = rng.choice(("reports", "data", "tmp", "exports"))
            return f"/srv/{team}/{folder}/{name}.{rng.choice(('csv', 'pdf', 'json', 'txt'))}"
        if ns == "db":
            table = rng.choice(("customers", "orders", "invoices", "events"))
            return f"db://{rng.choice(ENVS)}/{team}_{table}"
        if ns in ("http", "slack", "email", "crm", "tickets"):
            return f"https://api.{rng.choice(VENDORS)}.com/v{rng.randint(1, 3)}/{team}"
        return f"{ns}:{team}/item-{rng.randint(1, 500)}"

    def target_glob(self, ns: str, team: str) -> str:
        rng = self.rng
        return rng.choice((
            f"/srv/{team}/*", f"/srv/{team}/reports/*.csv", "*.pdf", f"db://prod/{team}_*",
            f"/srv/{team}/reports/q?-202?.csv", f"https://api.{rng.choice(VENDORS)}.com/*",
            f"{ns}:{team}/*",
        ))  # fmt: skip


def make_rules(count: int, universe: Universe) -> list[Rule]:
    """`count` rules: count-1 of the mixed shapes (~10 % with `when`), then a catch-all DENY.

    No two rules share actor, action, target and `when` (a later copy could never match, and a
    linter flags it), so the broad guardrail shapes stop growing once their combinations run out.
    """
    rng = universe.rng
    kinds = [k for k, _ in KINDS]
    weights = [w for _, w in KINDS]
    conditions = [c for c, _ in CONDITIONS]
    condition_weights = [w for _, w in CONDITIONS]
    rules: list[Rule] = []
    seen: set[str] = set()
    while len(rules) < count - 1:
        order = len(rules)
        kind = rng.choices(kinds, weights)[0]
        agent = rng.choice(universe.agents)
        team = agent.split("-", 1)[0]
        tool = rng.choice(universe.tools)
        ns = tool.split(".", 1)[0]
        rule: Rule = {"id": f"r{order + 1:05d}"}
        if kind == "exact_target":
            rule |= {"actor": agent, "action": tool, "target": universe.target(ns, team)}
        elif kind == "exact_any":
            rule |= {"actor": agent, "action": tool}
        elif kind == "namespace":
            rule |= {"actor": agent, "action": f"{ns}.*"}
            if rng.random() < 0.5:
                rule["target"] = universe.target_glob(ns, team)
        elif kind == "team":
            rule |= {"actor": f"{team}-*", "action": tool}
        elif kind == "target_glob":
            rule |= {"actor": agent, "action": tool, "target": universe.target_glob(ns, team)}
        elif kind == "lists":
            rule |= {"actor": [agent, rng.choice(universe.agents)],
                     "action": [tool, rng.choice(universe.tools)]}  # fmt: skip
        else:  # sensitive: broad actor, dangerous verbs
            rule |= {"actor": rng.choice((f"{team}-*", "*")),
                     "action": rng.choice(("*.delete", "*.exec", "vault.*", "payments.*"))}  # fmt: skip
            if rng.random() < 0.5:
                rule["target"] = rng.choice(("db://prod/*", "*prod*", f"/srv/{team}/*"))
        if order % 10 == 4:  # every tenth rule
            rule["when"] = rng.choices(conditions, condition_weights)[0]
        if kind == "sensitive":
            rule["effect"] = rng.choices(("DENY", "ASK"), (7, 3))[0]
        else:
            rule["effect"] = rng.choices(("ALLOW", "DENY", "ASK"), (7, 2, 1))[0]
        key = json.dumps([rule.get(f) for f in ("actor", "action", "target", "when")])
        if key not in seen:
            seen.add(key)
            rules.append(rule)
    rules.append({"id": "deny-all", "actor": "*", "action": "*", "effect": "DENY"})
    return rules


def _fill(pattern: str, candidates: Sequence[str], rng: random.Random) -> str:
    """A name matching `pattern`: a matching candidate when one is found quickly, else a fill-in."""
    compiled = compile_pattern(pattern)
    for _ in range(40):
        candidate = rng.choice(candidates)
        if compiled.matches(candidate):
            return candidate
    word = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 8)))
    return "".join(word if ch == "*" else str(rng.randint(0, 9)) if ch == "?" else ch
                   for ch in pattern)  # fmt: skip


def _one(value: Any, candidates: Sequence[str], rng: random.Random) -> str | None:
    if value is None:
        return None
    return _fill(rng.choice(value) if isinstance(value, list) else value, candidates, rng)


def make_intents(rules: list[Rule], universe: Universe, size: int) -> list[IntentSpec]:
    """`size` distinct intents: 70 % aimed at a random rule, 15 % random names, 15 % unknown agents."""
    rng = universe.rng
    params_seen: set[tuple[str, str, str, int, str]] = set()
    out: list[IntentSpec] = []
    while len(out) < size:
        roll = rng.random()
        if roll < 0.70:
            rule = rng.choice(rules[:-1]) if len(rules) > 1 else rules[0]
            action = _one(rule.get("action"), universe.tools, rng) or rng.choice(universe.tools)
            actor = _one(rule.get("actor"), universe.agents, rng) or rng.choice(universe.agents)
            ns, team = action.split(".", 1)[0], actor.split("-", 1)[0]
            target = _one(rule.get("target"), universe.targets, rng)
            if target is None:
                target = universe.target(ns if ns in NAMESPACES else None,
                                         team if team in TEAMS else None)  # fmt: skip
        else:
            if roll < 0.85:
                actor = rng.choice(universe.agents)
            else:
                actor = f"guest-{rng.randint(1, 10_000)}"
            action = rng.choice(universe.tools)
            target = rng.choice(universe.targets)
        amount = int(10 ** rng.uniform(0, 3.7))
        env = rng.choice(ENVS)
        key = (actor, action, target, amount, env)
        if key in params_seen:
            continue
        params_seen.add(key)
        params = {"amount": amount, "env": env, "ticket": f"T-{rng.randint(10_000, 99_999)}"}
        out.append((actor, action, target, params))
    return out


@dataclass(frozen=True)
class Workload:
    """One rule set, its intent pool, and the sample order every engine follows."""

    rules: list[Rule]
    intents: list[IntentSpec]
    order: list[int]


def make_workload(count: int, pool: int) -> Workload:
    """Deterministic for a given rule count and pool size."""
    rng = random.Random(20_240_601 + count)
    universe = Universe(count, rng)
    rules = make_rules(count, universe)
    intents = make_intents(rules, universe, pool)
    order = list(range(len(intents)))
    rng.shuffle(order)
    return Workload(rules, intents, order)


# -- Guardian ---------------------------------------------------------------------------------


def time_guardian_eval(work: Workload, settings: Settings) -> Timing:
    """CompiledPolicy.evaluate on pre-built Intent and Principal objects (no ledger)."""
    compiled = CompiledPolicy(load_policy(work.rules))
    counter = MemoryRateCounter()
    intents = [Intent.create(a, x, t, p) for a, x, t, p in work.intents]
    principals = [Principal.for_agent(i.actor) for i in intents]
    now = time.time()
    evaluate = compiled.evaluate

    def call(index: int) -> str:
        return evaluate(intents[index], principals[index], counter, now).decision

    return _guardian_timing(call, work, settings)


def time_guardian_decide(work: Workload, settings: Settings) -> Timing:
    """Guardian.decide() with keyword arguments: validation, evaluation, hash-chained ledger append."""
    g = Guardian(work.rules)
    decide = g.decide
    intents = work.intents

    def call(index: int) -> str:
        actor, action, target, params = intents[index]
        return decide(actor=actor, action=action, target=target, params=params).decision

    return _guardian_timing(call, work, settings)


def time_fused_floor(work: Workload, settings: Settings) -> Timing:
    """decide_floor.FusedDecider on the same intents: the floor under decide() in this Python."""
    g = Guardian(work.rules)
    compared = check_equivalent(g, [work.intents[i] for i in work.order[:300]])
    decide = FusedDecider(g).decide
    intents = work.intents

    def call(index: int) -> str:
        return decide(*intents[index])[0]

    timing = _guardian_timing(call, work, settings)
    timing.notes = f"same payloads and entry hashes as Guardian on {compared} decisions"
    return timing


def _guardian_timing(call: Callable[[int], str], work: Workload, settings: Settings) -> Timing:
    warmup = max(settings.warmup, len(work.order))  # one untimed pass decides the whole pool
    samples, decisions = run_timed(
        call,
        work.order,
        max_samples=settings.guardian_samples,
        budget_s=settings.guardian_budget_s,
        warmup=warmup,
        min_samples=settings.min_samples,
    )
    return Timing(samples, decisions, version=guardian.__version__, offset=warmup)


def profile_decide(work: Workload, decisions: dict[int, str], ask: bool, calls: int) -> str:
    """cProfile of `calls` decide() calls on the pool's ASK intents, or on the others.

    Printed twice: Guardian's own functions by cumulative time, then everything by own time.
    """
    pool = [i for i in work.order if (decisions[i] == "ASK") == ask]
    if not pool:
        return "  (no such intents in the pool)\n"
    g = Guardian(work.rules)
    args = [work.intents[pool[k % len(pool)]] for k in range(calls)]
    profiler = cProfile.Profile()
    profiler.enable()
    for actor, action, target, params in args:
        g.decide(actor=actor, action=action, target=target, params=params)
    profiler.disable()
    out = DATA / f"profile-{'ask' if ask else 'allow-deny'}.txt"
    with out.open("w") as stream:
        stats = pstats.Stats(profiler, stream=stream)
        stream.write("Guardian functions by cumulative time:\n")
        stats.sort_stats("cumulative").print_stats(r"src/guardian/", 18)
        stats.strip_dirs()
        stream.write("All functions by own time:\n")
        stats.sort_stats("tottime").print_stats(15)
    return out.read_text()


# -- peers ------------------------------------------------------------------------------------


def ensure_venv(peer: Peer) -> Path:
    """The peer's venv python, creating the venv with uv when missing or on another requirement."""
    root = VENVS / peer.venv
    python = root / "bin" / "python"
    stamp = root / ".bench-requirement"
    if python.exists() and stamp.exists() and stamp.read_text() == peer.requirement:
        return python
    uv = [found] if (found := shutil.which("uv")) else [sys.executable, "-m", "uv"]
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    log(f"creating {root} with {peer.requirement}")
    subprocess.run([*uv, "venv", "--clear", "--quiet", "--python", sys.executable, str(root)],
                   check=True, env=env)  # fmt: skip
    subprocess.run([*uv, "pip", "install", "--quiet", "--python", str(python), peer.requirement],
                   check=True, env=env)  # fmt: skip
    stamp.write_text(peer.requirement)
    return python


def run_peer(peer: Peer, python: Path, job: Path) -> Timing:
    """Run the peer script on a job file; parse the JSON it prints."""
    done = subprocess.run([str(python), str(BENCH / "peers" / peer.script), str(job)],
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"{peer.name} failed:\n{done.stderr[-2000:]}")
    report = json.loads(done.stdout)
    decisions = {int(k): v for k, v in report["decisions"].items()}
    return Timing(report["samples_ns"], decisions, report["load_s"], report.get("notes", ""),
                  report.get("version", ""))  # fmt: skip


def write_job(count: int, work: Workload, settings: Settings) -> Path:
    """The JSON file a peer reads: Guardian rules, intents, sample order, and limits."""
    path = DATA / f"job-{count}.json"
    path.write_text(json.dumps({
        "rules": work.rules, "intents": work.intents, "order": work.order,
        "max_samples": settings.peer_samples, "budget_s": settings.peer_budget_s,
        "warmup": settings.warmup, "min_samples": settings.min_samples,
    }))  # fmt: skip
    return path


def agreement(peer: Timing, reference: Timing) -> tuple[float, int]:
    """Share of the intents the peer decided where it agrees with Guardian, and how many it decided."""
    checked = [i for i in peer.decisions if i in reference.decisions]
    same = sum(peer.decisions[i] == reference.decisions[i] for i in checked)
    return (100.0 * same / len(checked) if checked else 0.0), len(checked)


# -- policy file load -------------------------------------------------------------------------


def load_child(path: str) -> None:
    """In a fresh process: load the policy file, print wall time and peak RSS growth as JSON.

    The brief's measure is ru_maxrss after load_policy minus ru_maxrss after imports (reported as
    `ru_maxrss_mb`). On Linux a child's ru_maxrss starts at its parent's peak (exec keeps the
    pre-exec high-water mark), and the bench process is large by then, which hides the load. So
    the kernel's own high-water mark is reset after imports (clear_refs 5) and the growth is read
    from VmHWM minus VmRSS (`rss_mb`); where /proc lacks that, `rss_mb` falls back to ru_maxrss.
    """
    usage_base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    base = _proc_kb("VmRSS") if _reset_peak() else None
    started = time.perf_counter()
    policy = load_policy(path)
    load_s = time.perf_counter() - started
    usage_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak = _proc_kb("VmHWM")
    started = time.perf_counter()
    CompiledPolicy(policy)
    index_s = time.perf_counter() - started
    ru_maxrss_mb = (usage_peak - usage_base) / 1024
    rss_mb = (peak - base) / 1024 if base is not None and peak is not None else ru_maxrss_mb
    print(json.dumps({"load_s": load_s, "rss_mb": rss_mb, "ru_maxrss_mb": ru_maxrss_mb,
                      "index_s": index_s, "rules": len(policy.rules)}))  # fmt: skip


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _proc_kb(field: str) -> int | None:
    """A `kB` field of /proc/self/status, or None."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def measure_load(runs: int) -> dict[str, float]:
    """Write a 10,000-rule YAML policy, load it `runs` times in fresh processes.

    Medians, plus `best_s`: the fastest wall time, the least disturbed by other load on the machine.
    """
    path = DATA / f"policy-{LOAD_RULES}.yaml"
    rules = make_workload(LOAD_RULES, 1).rules
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    path.write_text(yaml.dump({"rules": rules}, Dumper=dumper, sort_keys=False))
    results = []
    for _ in range(runs):
        done = subprocess.run([sys.executable, __file__, "--load-child", str(path)],
                              capture_output=True, text=True, check=True)  # fmt: skip
        results.append(json.loads(done.stdout))
    medians = {key: statistics.median(r[key] for r in results)
               for key in ("load_s", "rss_mb", "ru_maxrss_mb", "index_s", "rules")}  # fmt: skip
    return {**medians, "best_s": min(r["load_s"] for r in results)}


# -- report -----------------------------------------------------------------------------------


def code_state() -> str:
    """The checkout's commit, and whether src/ had uncommitted changes (read-only git calls)."""
    root = BENCH.parent

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD") or "unknown commit"
    return f"{head}, src/ modified" if git("status", "--porcelain", "--", "src") else head


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def goal(ok: bool) -> str:
    return "goal met" if ok else "goal NOT met"


def mix_summary(work: Workload) -> str:
    """What the rule set and the pool look like, for the report."""
    rules = work.rules
    wild = sum(_has_wildcard(r) for r in rules)
    when = sum("when" in r for r in rules)
    return f"{len(rules)} rules ({wild} with wildcards, {when} with `when`), {len(work.intents)} intents"


def _has_wildcard(rule: Rule) -> bool:
    for field in ("actor", "action", "target"):
        value = rule.get(field)
        for glob in value if isinstance(value, list) else [value] if value else []:
            if "*" in glob or "?" in glob:
                return True
    return False


def matched_at(work: Workload, ref: Timing) -> str:
    """Where in the rule list the pool's intents land (first match), as the share per quarter."""
    policy = CompiledPolicy(load_policy(work.rules))
    counter = MemoryRateCounter()
    positions = []
    for a, x, t, p in work.intents:
        intent = Intent.create(a, x, t, p)
        found = policy.evaluate(intent, Principal.for_agent(a), counter, 0.0).rule
        positions.append(found.order if found is not None else len(work.rules))
    n = len(work.rules)
    catch_all = sum(pos >= n - 1 for pos in positions)
    quarters = [sum(q * (n - 1) / 4 <= pos < (q + 1) * (n - 1) / 4 for pos in positions)
                for q in range(4)]  # fmt: skip
    share = " / ".join(f"{100 * q / len(positions):.0f}%" for q in quarters)
    verdicts = {d: sum(v == d for v in ref.decisions.values()) for d in ("ALLOW", "ASK", "DENY")}
    return (
        f"first match by quarter of the rule list {share}, catch-all only "
        f"{100 * catch_all / len(positions):.0f}%; decisions {verdicts}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations (smoke run)")
    parser.add_argument("--rules", default="10,100,1000,10000", help="comma-separated rule counts")
    parser.add_argument("--no-peers", action="store_true", help="Guardian only")
    parser.add_argument("--profile", action="store_true",
                        help="also print a cProfile of decide() at 1,000 rules (or the largest <=)")  # fmt: skip
    parser.add_argument("--load-child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.load_child:
        load_child(args.load_child)
        return 0
    settings = QUICK if args.quick else FULL
    counts = [int(c) for c in args.rules.split(",") if c.strip()]
    DATA.mkdir(parents=True, exist_ok=True)

    pythons: dict[str, Path] = {}
    if not args.no_peers:
        for peer in PEERS:
            try:
                pythons[peer.name] = ensure_venv(peer)
            except (OSError, subprocess.CalledProcessError) as exc:
                log(f"skipping {peer.name}: could not build its venv ({exc})")

    print(f"Guardian {guardian.__version__} ({code_state()}) decide() benchmark  ({'quick' if args.quick else 'full'}"
          f" run, Python {sys.version.split()[0]}, {os.cpu_count()} cores)")  # fmt: skip
    print("Per-call latency in µs from perf_counter_ns samples; p50 / p99; n = timed calls.")
    print(f"Machine load average (1 min) at start: {os.getloadavg()[0]:.2f}\n")

    results: dict[int, dict[str, Timing]] = {}
    workloads: dict[int, Workload] = {}
    for count in counts:
        log(f"{count} rules: generating workload")
        work = make_workload(count, settings.pool)
        workloads[count] = work
        timings: dict[str, Timing] = {}
        log(f"{count} rules: guardian evaluation")
        timings["eval"] = time_guardian_eval(work, settings)
        log(f"{count} rules: guardian decide")
        timings["decide"] = time_guardian_decide(work, settings)
        if count == 1000:
            log(f"{count} rules: the fused floor (bench/decide_floor.py)")
            timings["floor"] = time_fused_floor(work, settings)
        if pythons:
            job = write_job(count, work, settings)
            for peer in PEERS:
                if peer.name in pythons:
                    log(f"{count} rules: {peer.name}")
                    try:
                        timings[peer.name] = run_peer(peer, pythons[peer.name], job)
                    except (RuntimeError, ValueError) as exc:
                        log(str(exc))
        results[count] = timings

    print("Workloads (same rules and intents for every engine):")
    for count in counts:
        work = workloads[count]
        print(f"  {count:>6}: {mix_summary(work)}")
        print(f"          {matched_at(work, results[count]['eval'])}")
    print()

    print("Guardian, in process")
    print(
        f"  {'rules':>6}  {'evaluate p50':>12}  {'p99':>8}  {'n':>7}   {'decide() p50':>12}  {'p99':>8}  {'n':>7}"
    )
    for count in counts:
        ev, de = results[count]["eval"], results[count]["decide"]
        print(f"  {count:>6}  {ev.p(0.5):>12.2f}  {ev.p(0.99):>8.2f}  {len(ev.samples_ns):>7}"
              f"   {de.p(0.5):>12.2f}  {de.p(0.99):>8.2f}  {len(de.samples_ns):>7}")  # fmt: skip
    print()
    print("  decide() by verdict (ASK also opens an approval proposal): p50 / p99, share of calls")
    for count in counts:
        split = results[count]["decide"].by_verdict(workloads[count].order)
        total = sum(len(v) for v in split.values())
        cells = [
            f"{verdict} {percentile(split[verdict], 0.5):.1f} / {percentile(split[verdict], 0.99):.1f}"
            f" ({100 * len(split[verdict]) / total:.0f}%)"
            for verdict in ("ALLOW", "DENY", "ASK")
            if verdict in split
        ]
        print(f"  {count:>6}  " + "   ".join(cells))
    print()
    _print_goals(results, counts)

    if pythons:
        _print_peers(results, counts)

    log("loading the 10,000-rule YAML policy in fresh processes")
    load = measure_load(settings.load_runs)
    print(f"Loading a {int(load['rules']):,}-rule YAML policy file (fresh process, median of "
          f"{settings.load_runs}): guardian.load_policy(path)")  # fmt: skip
    print(f"  wall time {load['load_s']:.3f} s median, {load['best_s']:.3f} s best"
          f"   ({goal(load['load_s'] < 1.0)}: < 1 s, judged on the median)")  # fmt: skip
    print(f"  peak RSS growth {load['rss_mb']:.1f} MB   ({goal(load['rss_mb'] < 100)}: < 100 MB)")
    masked = abs(load["ru_maxrss_mb"] - load["rss_mb"]) > 1
    print(f"  (ru_maxrss after load minus after imports: {load['ru_maxrss_mb']:.1f} MB"
          + ("; masked, since a child starts with its parent's ru_maxrss: the figure above is"
             " VmHWM, reset after imports, minus VmRSS)" if masked else ")"))  # fmt: skip
    print(
        f"  (then building the rule index: {load['index_s'] * 1000:.0f} ms, not part of the goal)"
    )
    print(f"\nMachine load average (1 min) after the measurements: {os.getloadavg()[0]:.2f}")

    if args.profile:
        target = max((c for c in counts if c <= 1000), default=counts[0])
        decisions = results[target]["eval"].decisions
        for ask, label, calls in ((False, "ALLOW/DENY", 20_000), (True, "ASK", 3_000)):
            print(f"\ncProfile of {calls:,} decide() calls on {label} intents at {target} rules:")
            print(profile_decide(workloads[target], decisions, ask, calls))
    return 0


def _print_goals(results: dict[int, dict[str, Timing]], counts: list[int]) -> None:
    if 1000 in results:
        p50 = results[1000]["decide"].p(0.5)
        print(f"  decide() p50 at 1,000 rules: {p50:.2f} µs   ({goal(p50 <= 10)}: <= 10 µs;"
              f" evaluation alone: {results[1000]['eval'].p(0.5):.2f} µs)")  # fmt: skip
        floor = results[1000].get("floor")
        if floor is not None:
            print(f"  the floor, one decision's work fused in one function with no gate, checks,"
                  f" budgets or proposals\n  (bench/decide_floor.py; {floor.notes}):"
                  f" p50 {floor.p(0.5):.2f} µs, p99 {floor.p(0.99):.2f} µs;"
                  f" decide() / floor = {p50 / floor.p(0.5):.2f}x")  # fmt: skip
    if 10 in results and 10_000 in results:
        for key, label in (("decide", "decide()"), ("eval", "evaluate (info)")):
            ratio = results[10_000][key].p(0.5) / results[10][key].p(0.5)
            status = (
                goal(ratio <= 2) if key == "decide" else ("within 2x" if ratio <= 2 else "over 2x")
            )
            print(f"  {label} p50 at 10,000 rules / at 10 rules: {ratio:.2f}x   ({status}: <= 2x)")
    print()


def ratio(peer: Timing, guardian_timing: Timing) -> str:
    """Peer p50 / Guardian p50, as `12x` (one decimal below 10)."""
    value = peer.p(0.5) / guardian_timing.p(0.5)
    return f"{value:.1f}x" if value < 10 else f"{value:.0f}x"


def _print_peers(results: dict[int, dict[str, Timing]], counts: list[int]) -> None:
    print("Peers (each in its own venv, same run, same rules and intents; peers keep no ledger)")
    print("  ratio = peer p50 / Guardian p50; agree = same decision as Guardian on the intents the "
          "peer decided")  # fmt: skip
    print(f"  {'rules':>6}  {'engine':<26} {'p50':>10} {'p99':>10} {'n':>6}  {'agree':>16}"
          f"  {'x eval':>8}  {'x decide':>8}")  # fmt: skip
    for count in counts:
        timings = results[count]
        for peer in PEERS:
            t = timings.get(peer.name)
            if t is None:
                continue
            pct, checked = agreement(t, timings["eval"])
            print(f"  {count:>6}  {peer.name:<26} {t.p(0.5):>10.1f} {t.p(0.99):>10.1f} "
                  f"{len(t.samples_ns):>6}  {pct:>6.2f}% of {checked:>5}  "
                  f"{ratio(t, timings['eval']):>8}  {ratio(t, timings['decide']):>8}")  # fmt: skip
    print()
    if 1000 in results:
        for peer in PEERS:
            t = results[1000].get(peer.name)
            if t is None:
                continue
            for key, label in (("eval", "evaluation-only"), ("decide", "full decide()"),
                               ("floor", "fused floor")):  # fmt: skip
                if key not in results[1000]:
                    continue
                faster = t.p(0.5) / results[1000][key].p(0.5)
                status = (
                    "the most a Python rewrite could show" if key == "floor" else goal(faster >= 50)
                )
                print(f"  1,000 rules, {label:<15} vs {peer.name:<26} {ratio(t, results[1000][key]):>7}"
                      f" faster   ({status}: >= 50x)")  # fmt: skip
    print()
    for peer in PEERS:
        notes = [f"{c} rules: {results[c][peer.name].notes}" for c in counts
                 if peer.name in results[c] and results[c][peer.name].notes]  # fmt: skip
        versions = {results[c][peer.name].version for c in counts if peer.name in results[c]}
        print(f"  {peer.name} {', '.join(sorted(versions))}; " + ("; ".join(notes) or "no notes"))
    print("  cedarpy: Cedar has no rule order and no ASK (forbid overrides permit): every rule is a\n"
          "    permit, Cedar returns all satisfied ones, and the timed call takes the earliest one's\n"
          "    effect (DENY when none); Cedar's `like` has no '?', so '?' is widened to '*'.\n"
          "  agent-governance-toolkit: agent_os PolicyEvaluator, one condition per rule: exact rules\n"
          "    as `eq` on a joined actor/action/target key, the rest as one anchored regex over it\n"
          "    (plus the params `when` reads); ASK as its `audit` action; default deny.")  # fmt: skip
    print()


if __name__ == "__main__":
    sys.exit(main())
