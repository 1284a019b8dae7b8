"""Erlang C (M/M/c): how many counters keep waits under a target. Pure functions, no database.

traffic A = arrival rate × mean handling time (in Erlangs); with c counters and A < c:
- P(wait) = C(c, A), computed through the Erlang B recursion, which stays stable for large c;
- service level P(wait ≤ t) = 1 − C(c, A) · exp(−(c − A) · t / handling);
- mean wait = C(c, A) · handling / (c − A).
With A ≥ c the queue grows without bound: everyone waits and the service level is 0.
"""

import math


def erlang_b(traffic: float, agents: int) -> float:
    blocking = 1.0
    for k in range(1, agents + 1):
        blocking = traffic * blocking / (k + traffic * blocking)
    return blocking


def erlang_c(traffic: float, agents: int) -> float:
    """Probability that an arrival has to wait."""
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    blocking = erlang_b(traffic, agents)
    return agents * blocking / (agents - traffic * (1 - blocking))


def service_level(traffic: float, agents: int, target: float, handling: float) -> float:
    """Share of arrivals that wait at most `target` (same time unit as `handling`)."""
    if traffic <= 0:
        return 1.0
    if agents <= traffic:
        return 0.0
    return 1 - erlang_c(traffic, agents) * math.exp(-(agents - traffic) * target / handling)


def mean_wait(traffic: float, agents: int, handling: float) -> float:
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return math.inf
    return erlang_c(traffic, agents) * handling / (agents - traffic)


def agents_needed(traffic: float, handling: float, target: float, goal: float, limit: int = 500) -> int:
    """The fewest counters whose service level reaches `goal` (0–1); 0 when nobody comes."""
    if traffic <= 0:
        return 0
    agents = max(1, math.floor(traffic) + 1)
    while agents < limit and service_level(traffic, agents, target, handling) < goal:
        agents += 1
    return agents
