"""Per-step RDP of the Poisson-subsampled Gaussian mechanism by numerical integration (numpy only).

An oracle for src/privacy/rdp.ts that shares none of its series: for sampling rate q and noise
multiplier sigma, the mechanism's output on neighbouring data sets is P = N(0, sigma^2) or the
mixture M = (1 - q) N(0, sigma^2) + q N(1, sigma^2), and its Renyi divergence of order a is

    D_a(X || Y) = log( integral of x(z)^a y(z)^(1 - a) dz ) / (a - 1),

integrated here in both directions, D_a(M || P) (the one the accountant computes, the larger
by Mironov, Talwar and Zhang 2019) and D_a(P || M).

The integrand is smooth and decays like a Gaussian on both sides, so the trapezoidal rule on a
uniform grid converges geometrically; with a step of sigma/40 over the whole of its mass it is
exact to rounding. It is summed in log space (shifted by its maximum) so that orders up to a few
hundred neither overflow nor underflow.

Usage: python3 scripts/rdp_reference.py '[{"q": 0.01, "sigma": 2.5, "order": 1.5}, ...]'
Prints a JSON list of {q, sigma, order, forward, backward}.
"""
import json
import math
import sys

import numpy as np

DEFAULT_CASES = [
    {"q": 0.01, "sigma": 2.5, "order": 1.5},
    {"q": 0.04, "sigma": 1.5, "order": 3.9},
    {"q": 0.1, "sigma": 1.0, "order": 8},
]


def log_gaussian(z, mean, sigma):
    return -((z - mean) ** 2) / (2 * sigma**2) - math.log(sigma * math.sqrt(2 * math.pi))


def log_renyi_integral(log_x, log_y, order, z):
    """log of the integral of x^a y^(1-a) over the grid z (uniform), by the trapezoidal rule."""
    log_f = order * log_x + (1 - order) * log_y
    peak = np.max(log_f)
    weights = np.exp(log_f - peak)
    h = z[1] - z[0]
    # The ends hold only e^-(hundreds) of the peak, so halving them changes nothing but is the rule.
    total = h * (np.sum(weights) - 0.5 * (weights[0] + weights[-1]))
    return math.log(total) + peak


def grid(sigma, order):
    # The mass of either integrand lies within a few sigma of 0, 1 or the order (the mixture's
    # component near 1, tilted by the power): cover all three by 60 sigma on each side.
    low = min(0.0, 1.0 - order) - 60 * sigma - 2
    high = max(1.0, order) + 60 * sigma + 2
    count = int(math.ceil((high - low) / (sigma / 40))) + 1
    return np.linspace(low, high, count)


def log_near_one(power, u, log_p, z):
    """log of the integral of p (1 + u)^power when it is near 1, from the integral of p ((1 + u)^power - 1).

    Summing p (1 + u)^power itself would leave the divergence, a few 1e-9 for small sampling
    rates, to the last bits of a sum near 1.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        excess = np.exp(log_p) * np.expm1(power * np.log1p(u))
    # Far out, p underflows to 0 where the power overflows; the product is 0 there.
    excess = np.where(log_p < -700, 0.0, excess)
    h = z[1] - z[0]
    return math.log1p(h * (np.sum(excess) - 0.5 * (excess[0] + excess[-1])))


def rdp(q, sigma, order):
    z = grid(sigma, order)
    log_p = log_gaussian(z, 0.0, sigma)
    log_m = np.logaddexp(math.log1p(-q) + log_p, math.log(q) + log_gaussian(z, 1.0, sigma))
    log_a_forward = log_renyi_integral(log_m, log_p, order, z)
    log_a_backward = log_renyi_integral(log_p, log_m, order, z)
    # m / p = 1 + u: the likelihood ratio of the mixture to N(0, sigma^2).
    u = q * np.expm1((2 * z - 1) / (2 * sigma**2))
    if abs(log_a_forward) < 0.01:
        log_a_forward = log_near_one(order, u, log_p, z)
    if abs(log_a_backward) < 0.01:
        log_a_backward = log_near_one(1 - order, u, log_p, z)
    return log_a_forward / (order - 1), log_a_backward / (order - 1)


def main():
    cases = json.loads(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CASES
    out = []
    for case in cases:
        forward, backward = rdp(case["q"], case["sigma"], case["order"])
        out.append({**case, "forward": forward, "backward": backward})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
