"""Visits to schedule as a vehicle-routing problem with time windows (VRPTW): caregivers
(vehicles) leave a depot within their shift, each visit has a place, a demand (what it takes
from a caregiver's capacity, e.g. meals carried), a time window for its start, a service time
and the skills it needs; travel times are the distances (one unit of time per unit of
distance, the Solomon convention; a city's own orders give minutes).

`solve` uses OR-Tools' routing solver: fewest caregivers first (a fixed cost per caregiver
used), then the shortest total distance, found by guided local search within a time limit.
`check` verifies a plan on its own, in real numbers: every visit once, capacity, windows,
skills and shifts; a plan is reported feasible only when it passes."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

from cityhub.errors import BadRequestData

SCALE = 100  # the solver works in integers: hundredths of a unit
TOLERANCE = 1e-6


@dataclass(frozen=True)
class Stop:
    id: str
    x: float
    y: float
    demand: float = 0.0
    ready: float = 0.0  # earliest start of service
    due: float = math.inf  # latest start of service
    service: float = 0.0
    skills: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Carer:
    id: str
    capacity: float
    start: float = 0.0  # shift
    end: float = math.inf
    skills: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Problem:
    name: str
    depot: Stop
    stops: list[Stop]
    carers: list[Carer]

    def distance(self, a: Stop, b: Stop) -> float:
        return math.hypot(a.x - b.x, a.y - b.y)


@dataclass
class Route:
    carer: str
    stops: list[str]  # visit ids in order
    starts: list[float] = field(default_factory=list)  # service start at each
    distance: float = 0.0


@dataclass
class Plan:
    problem: str
    routes: list[Route]
    unassigned: list[str]
    seconds: float = 0.0

    @property
    def vehicles(self) -> int:
        return sum(1 for r in self.routes if r.stops)

    @property
    def distance(self) -> float:
        return sum(r.distance for r in self.routes)


def check(problem: Problem, plan: Plan) -> list[str]:
    """What is wrong with the plan (nothing when it is feasible), in real numbers; fills each
    route's start times and distance."""
    problems: list[str] = []
    stops = {s.id: s for s in problem.stops}
    carers = {c.id: c for c in problem.carers}
    seen: dict[str, str] = {}
    for route in plan.routes:
        carer = carers.get(route.carer)
        if carer is None:
            problems.append(f"unknown caregiver {route.carer}")
            continue
        at, here, load, starts, travelled = carer.start, problem.depot, 0.0, [], 0.0
        for ident in route.stops:
            stop = stops.get(ident)
            if stop is None:
                problems.append(f"{route.carer}: unknown visit {ident}")
                break
            if ident in seen:
                problems.append(f"visit {ident} planned twice ({seen[ident]}, {route.carer})")
            seen[ident] = route.carer
            if not stop.skills <= carer.skills:
                problems.append(f"{route.carer} lacks a skill visit {ident} needs")
            leg = problem.distance(here, stop)
            travelled += leg
            at = max(at + leg, stop.ready)
            if at > stop.due + TOLERANCE:
                problems.append(f"{route.carer} reaches {ident} at {at:.2f}, after {stop.due:g}")
            starts.append(at)
            load += stop.demand
            at += stop.service
            here = stop
        back = problem.distance(here, problem.depot)
        travelled += back
        if load > carer.capacity + TOLERANCE:
            problems.append(f"{route.carer} carries {load:g}, more than {carer.capacity:g}")
        if at + back > min(carer.end, problem.depot.due) + TOLERANCE:
            problems.append(f"{route.carer} is back at {at + back:.2f}, after the shift")
        route.starts, route.distance = starts, travelled
    missing = [s.id for s in problem.stops if s.id not in seen]
    if missing:
        problems.append(f"{len(missing)} visits are not planned (first: {missing[0]})")
    return problems


def solve(problem: Problem, time_limit: float = 30.0, leave_out: bool = False) -> Plan:
    """The best plan found within `time_limit` seconds (fewest caregivers, then distance).
    With `leave_out`, visits that cannot be fitted are left out (listed in `unassigned`)
    instead of there being no plan; it slows the search, so benchmarks plan without it.

    Two searches share the time. The first (40%) prices every caregiver used above any detour,
    so it finds the fewest caregivers. The second keeps only those caregivers, drops that price
    and starts from the first plan, so guided local search works on distance alone (the large
    fixed price distorts its penalties). The second plan is kept only when it is no worse."""
    import time

    if not problem.carers:
        raise BadRequestData("no caregivers to plan for")
    started = time.perf_counter()
    first = _search(problem, time_limit * 0.4, leave_out, True, None)
    used = {r.carer for r in first.routes if r.stops}
    crew = [c for c in problem.carers if c.id in used]
    left = time_limit - (time.perf_counter() - started)
    best = first
    if crew and left > 0.1:
        second = _search(Problem(problem.name, problem.depot, problem.stops, crew), left,
                         leave_out, False, first.routes)  # fmt: skip
        if (len(second.unassigned), second.vehicles, _length(problem, second)) <= (
            len(first.unassigned),
            first.vehicles,
            _length(problem, first),
        ):
            best = second
    best.seconds = time.perf_counter() - started
    return best


def _length(problem: Problem, plan: Plan) -> float:
    stops = {s.id: s for s in problem.stops}
    total = 0.0
    for route in plan.routes:
        path = [problem.depot, *(stops[i] for i in route.stops), problem.depot]
        total += sum(problem.distance(a, b) for a, b in itertools.pairwise(path))
    return total


def _search(
    problem: Problem, time_limit: float, leave_out: bool, fewest: bool,
    start: list[Route] | None,
) -> Plan:  # fmt: skip
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    places = [problem.depot, *problem.stops]
    n, vehicles = len(places), len(problem.carers)
    manager = pywrapcp.RoutingIndexManager(n, vehicles, 0)
    model = pywrapcp.RoutingModel(manager)
    exact = [[problem.distance(a, b) for b in places] for a in places]
    cost = [[round(d * SCALE) for d in row] for row in exact]
    # travel times rounded up: a plan the solver finds feasible is feasible in real numbers
    travel = [[math.ceil(d * SCALE - 1e-9) for d in row] for row in exact]
    service = [round(p.service * SCALE) for p in places]

    def arc(i: int, j: int) -> int:
        return cost[int(manager.IndexToNode(i))][int(manager.IndexToNode(j))]

    def moving(i: int, j: int) -> int:
        a = int(manager.IndexToNode(i))
        return travel[a][int(manager.IndexToNode(j))] + service[a]

    model.SetArcCostEvaluatorOfAllVehicles(model.RegisterTransitCallback(arc))
    longest = max(max(row) for row in cost)
    price = 2 * longest * n  # one caregiver fewer beats any detour
    if fewest:
        model.SetFixedCostOfAllVehicles(price)
    demand = [round(p.demand * SCALE) for p in places]
    loads = model.RegisterUnaryTransitCallback(lambda i: demand[manager.IndexToNode(i)])
    model.AddDimensionWithVehicleCapacity(
        loads, 0, [_bound(c.capacity) for c in problem.carers], True, "load"
    )
    horizon = _bound(max(min(c.end, problem.depot.due) for c in problem.carers))
    model.AddDimension(model.RegisterTransitCallback(moving), horizon, horizon, False, "time")
    clock = model.GetDimensionOrDie("time")
    for node, stop in enumerate(problem.stops, start=1):
        index = manager.NodeToIndex(node)
        clock.CumulVar(index).SetRange(_bound(stop.ready), min(_bound(stop.due), horizon))
        if leave_out:  # a visit nobody can make is left out and listed, the rest planned
            model.AddDisjunction([index], 100 * price)
        if stop.skills:
            able = [v for v, c in enumerate(problem.carers) if stop.skills <= c.skills]
            if not able:
                raise BadRequestData(f"no caregiver has the skills visit {stop.id} needs")
            # the visit's vehicle is one of the able (-1: the visit is left out)
            model.VehicleVar(index).SetValues([-1, *able])
    for v, carer in enumerate(problem.carers):
        end = min(_bound(carer.end), horizon)
        clock.CumulVar(model.Start(v)).SetRange(_bound(carer.start), end)
        clock.CumulVar(model.End(v)).SetRange(_bound(carer.start), end)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    )
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(max(100, int(time_limit * 1000)))
    initial = None
    if start is not None:
        node_of = {s.id: k for k, s in enumerate(places)}
        routes = {r.carer: [manager.NodeToIndex(node_of[i]) for i in r.stops] for r in start}
        model.CloseModelWithParameters(params)
        initial = model.ReadAssignmentFromRoutes(
            [routes.get(c.id, []) for c in problem.carers], True
        )
    if initial is not None:
        found = model.SolveFromAssignmentWithParameters(initial, params)
    else:
        found = model.SolveWithParameters(params)
    if found is None:
        raise BadRequestData("no feasible plan was found within the time limit")
    routes_out = []
    for v, carer in enumerate(problem.carers):
        index, visits = model.Start(v), []
        while not model.IsEnd(index):
            node = manager.IndexToNode(index)
            if node:
                visits.append(places[node].id)
            index = found.Value(model.NextVar(index))
        if visits:
            routes_out.append(Route(carer.id, visits))
    plan = Plan(problem.name, routes_out, [])
    planned = {s for r in routes_out for s in r.stops}
    plan.unassigned = [s.id for s in problem.stops if s.id not in planned]
    return plan


def _bound(value: float) -> int:
    return 10**12 if math.isinf(value) else round(value * SCALE)
