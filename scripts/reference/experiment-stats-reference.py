"""Reference values for src/domain/experiments/experiment-stats.test.ts, computed independently of
the TypeScript code with Python's standard library only (statistics.NormalDist, math).
Run: python3 scripts/reference/experiment-stats-reference.py"""
import json
import math
from statistics import NormalDist

N = NormalDist()
Z = N.inv_cdf(0.975)
ALPHA = 0.05


def wilson(x, n):
    p = x / n
    d = 1 + Z * Z / n
    c = (p + Z * Z / (2 * n)) / d
    h = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / d
    return [max(0.0, c - h), min(1.0, c + h)]


def newcombe(x1, n1, x0, n0):
    p1, p0 = x1 / n1, x0 / n0
    l1, u1 = wilson(x1, n1)
    l0, u0 = wilson(x0, n0)
    d = p1 - p0
    return [d - math.hypot(p1 - l1, u0 - p0), d + math.hypot(u1 - p1, p0 - l0)]


def katz(x1, n1, x0, n0):
    rr = (x1 / n1) / (x0 / n0)
    se = math.sqrt(1 / x1 - 1 / n1 + 1 / x0 - 1 / n0)
    return [rr - 1, rr * math.exp(-Z * se) - 1, rr * math.exp(Z * se) - 1]


def ztest(x1, n1, x0, n0):
    p = (x1 + x0) / (n1 + n0)
    se = math.sqrt(p * (1 - p) * (1 / n1 + 1 / n0))
    z = (x1 / n1 - x0 / n0) / se
    return [z, 2 * (1 - N.cdf(abs(z))) if abs(z) < 5 else math.erfc(abs(z) / math.sqrt(2))]


def cs(x1, n1, x0, n0, alpha=ALPHA, tuning=10000):
    p1, p0 = x1 / n1, x0 / n0
    n = n1 + n0
    v = n * (p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
    rho2 = (-2 * math.log(ALPHA) + math.log(-2 * math.log(ALPHA) + 1)) / tuning
    half = math.sqrt(v) * math.sqrt(2 * (n * rho2 + 1) / (n * n * rho2) * math.log(math.sqrt(n * rho2 + 1) / alpha))
    return [p1 - p0 - half, p1 - p0 + half]


def seq_p(x1, n1, x0, n0):
    # Solves for the alpha at which a bound touches 0, in closed form (the TypeScript bisects).
    p1, p0 = x1 / n1, x0 / n0
    n = n1 + n0
    v = n * (p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
    rho2 = (-2 * math.log(ALPHA) + math.log(-2 * math.log(ALPHA) + 1)) / 10000
    d = abs(p1 - p0)
    # d^2 = v * 2 (n rho2 + 1)/(n^2 rho2) * ln(sqrt(n rho2 + 1)/alpha)
    log_term = d * d / (v * 2 * (n * rho2 + 1) / (n * n * rho2))
    return min(1.0, math.sqrt(n * rho2 + 1) / math.exp(log_term))


cases = [(120, 1000, 100, 1000), (15, 200, 10, 210), (300, 2000, 200, 2000), (1, 50, 3, 60), (150, 1000, 100, 1000)]
out = []
for x1, n1, x0, n0 in cases:
    out.append({
        'variant': [x1, n1], 'control': [x0, n0],
        'wilsonVariant': wilson(x1, n1), 'newcombe': newcombe(x1, n1, x0, n0), 'katz': katz(x1, n1, x0, n0),
        'z': ztest(x1, n1, x0, n0), 'cs': cs(x1, n1, x0, n0), 'sequentialP': seq_p(x1, n1, x0, n0),
    })
print(json.dumps(out, indent=1))
