"""Prometheus metrics: decisions by verdict, decide latency, pending proposals.

Counters and the histogram are per process (Prometheus sums instances). The pending-proposals gauge
is read from the shared store at scrape time, so every instance reports the same true number.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from guardian.governance.proposals import PENDING, ProposalStore

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class _Pending(Collector):
    def __init__(self, store: ProposalStore) -> None:
        self._store = store

    def collect(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily("guardian_pending_proposals", "Proposals waiting for a human")
        gauge.add_metric([], self._store.count(PENDING))
        yield gauge


class Metrics:
    def __init__(self, store: ProposalStore) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.decisions = Counter("guardian_decisions", "Decisions made, by verdict",
                                 ["decision"], registry=self.registry)  # fmt: skip
        self.decide_seconds = Histogram("guardian_decide_seconds",
                                        "Time to decide and record one intent (POST /v1/decide)",
                                        buckets=_BUCKETS, registry=self.registry)  # fmt: skip
        self.registry.register(_Pending(store))
        for verdict in ("ALLOW", "DENY", "ASK"):
            self.decisions.labels(verdict)

    def observe(self, verdict: str, seconds: float) -> None:
        self.decisions.labels(verdict).inc()
        self.decide_seconds.observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
