# M/M/1 in SimPy, the peer the M/M/1 benchmark compares with (bench/cases/mm1-simpy.ts runs it):
# Poisson arrivals (rate lambda per ms) into one server with exponential service (mean 1/mu ms),
# `customers` customers. Prints one JSON line: wall time of the run and the mean sojourn time.
# Works with SimPy 2.x (module SimPy, Debian's python3-simpy is 2.3.1) and SimPy 3+ (module simpy).
import json
import random
import sys
import time


def run_simpy2(SimPy, customers, lam, mu):
    from SimPy.Simulation import Process, Resource, activate, hold, initialize, now, release, request, simulate

    stats = {'done': 0, 'sojourn': 0.0}
    server = Resource(capacity=1)

    class Customer(Process):
        def visit(self):
            arrived = now()
            yield request, self, server
            yield hold, self, random.expovariate(mu)
            yield release, self, server
            stats['done'] += 1
            stats['sojourn'] += now() - arrived

    class Source(Process):
        def generate(self):
            for _ in range(customers):
                customer = Customer()
                activate(customer, customer.visit())
                yield hold, self, random.expovariate(lam)

    initialize()
    source = Source()
    activate(source, source.generate())
    simulate(until=1e18)
    return stats


def run_simpy3(simpy, customers, lam, mu):
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=1)
    stats = {'done': 0, 'sojourn': 0.0}

    def visit():
        arrived = env.now
        with server.request() as turn:
            yield turn
            yield env.timeout(random.expovariate(mu))
        stats['done'] += 1
        stats['sojourn'] += env.now - arrived

    def generate():
        for _ in range(customers):
            env.process(visit())
            yield env.timeout(random.expovariate(lam))

    env.process(generate())
    env.run()
    return stats


def main():
    customers = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    lam, mu = 0.9, 1.0
    random.seed(1)
    try:
        import SimPy
        version, runner, module = SimPy.__version__, run_simpy2, SimPy
    except ImportError:
        import simpy
        version, runner, module = simpy.__version__, run_simpy3, simpy
    start = time.perf_counter()
    start_cpu = time.process_time()
    stats = runner(module, customers, lam, mu)
    wall_ms = (time.perf_counter() - start) * 1000
    cpu_ms = (time.process_time() - start_cpu) * 1000
    print(json.dumps({
        'simpyVersion': version,
        'requests': stats['done'],
        'wallMs': wall_ms,
        'cpuMs': cpu_ms,
        'meanSojournMs': stats['sojourn'] / stats['done'],
        'theoreticalMeanSojournMs': 1 / (mu - lam),
    }))


main()
