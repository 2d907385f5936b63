#!/usr/bin/env python3
"""Exact epsilon of DP-SGD's Poisson-subsampled Gaussian mechanism: the oracle for src/privacy/prv.

Usage:  python3 scripts/prv_reference.py '[{"sampleRate": 0.04, "noise": 1.5, "steps": 2249, "delta": 1e-5}]'
        python3 scripts/prv_reference.py --self-check
prints a JSON list, one {"epsilon", "deltaAtEpsilon", "spread", ...} per case. numpy only.

The pair is the PRV accountant's: P = (1-q) N(0, s^2) + q N(1, s^2) against Q = N(0, s^2), privacy
loss L(x) = log(P(x)/Q(x)), and after n steps the loss S is the sum of n independent L(X), X ~ P.
Then delta(eps) = E[(1 - e^(eps - S))+], and since (1 - e^-t)+ is the inverse Laplace transform of
1/(z(z+1)),

    delta(eps) = (1/pi) integral_0^inf Re[ M(c+iu)^n e^(-(c+iu) eps) / ((c+iu)(c+iu+1)) ] du,

for any c > 0, with M(z) = E_P[e^(z L(X))] (M(c) is the RDP moment of order c+1). This route shares
nothing with the accountant: no grid in the loss, no FFT, no discretisation error. It is exact up to
quadrature, which converges fast here: M is an integral over x of a smooth Gaussian-tailed function
(trapezoid rule), and on the line through the saddle point c (where n M'(c)/M(c) = eps, the Chernoff
bound's best c) the integrand in u has no oscillation to speak of and decays like a Gaussian.
Two different c give the same delta if the quadrature is right; "spread" reports how far apart the
two epsilons are. Few steps of a small sample rate are out of its reach (the u integral decays too
slowly); it says so rather than guess.
"""
import json
import math
import sys

import numpy as np


class Mechanism:
    def __init__(self, q, sigma):
        self.q, self.s = q, sigma

    def log_density(self, x):
        s, q = self.s, self.q
        norm = -0.5 * math.log(2 * math.pi) - math.log(s)
        a = math.log1p(-q) - 0.5 * (x / s) ** 2 if q < 1 else np.full_like(x, -np.inf)
        b = math.log(q) - 0.5 * ((x - 1) / s) ** 2
        return norm + np.logaddexp(a, b)

    def loss(self, x):
        u = math.log(self.q) + (2 * x - 1) / (2 * self.s**2)
        return u if self.q == 1 else np.logaddexp(math.log1p(-self.q), u)

    def log_mgf(self, c, us):
        """log M(c + iu) for each u in us (complex), by the trapezoid rule over x."""
        s = self.s
        # The tilted integrand p(x) e^(cL(x)) peaks near x = c (where the Gaussian meets slope c/s^2).
        lo, hi = min(-40 * s, c - 40 * s), max(1 + 40 * s, c + 1 + 40 * s)
        u_max = float(np.max(np.abs(us))) if len(us) else 0.0
        # Resolve s (the components), s^2 (the bend of L) and u L'(x) <= u/s^2 (the oscillation).
        h = min(s / 60, s * s / 60, 0.3 * s * s / max(u_max, 1e-300))
        x = np.linspace(lo, hi, int((hi - lo) / h) + 1)
        g = self.log_density(x) + c * self.loss(x)
        keep = g > g.max() - 80
        x, g = x[keep], g[keep]
        step = x[1] - x[0]
        top = g.max()
        weight = np.exp(g - top)
        lx = self.loss(x)
        out = np.empty(len(us), dtype=complex)
        for i in range(0, len(us), 64):
            chunk = us[i:i + 64]
            out[i:i + 64] = np.log(step * (np.exp(1j * np.outer(chunk, lx)) @ weight)) + top
        return out


def delta_curve(mech, n, c):
    """A function eps -> delta(eps), its quadrature in u set up once for this c."""
    k0 = mech.log_mgf(c, np.array([0.0]))[0].real
    # The width in u: the tilted sum's standard deviation, from K'' by a central difference.
    e = 1e-3 * max(c, 1e-2)
    k_side = mech.log_mgf(c - e, np.array([0.0]))[0].real, mech.log_mgf(c + e, np.array([0.0]))[0].real
    var = max(n * (k_side[0] - 2 * k0 + k_side[1]) / e**2, 1e-12)
    sd = math.sqrt(var)
    # Aliasing: the trapezoid sum in u adds e^(c m T) delta(eps + m T), m != 0, with T = 2 pi / du.
    period = max(60.0 / c, 40.0 * sd, 40.0)
    du = 2 * math.pi / period
    us, logs = [], []
    u = 0.0
    while True:
        block = u + du * np.arange(512)
        lk = n * mech.log_mgf(c, block)
        us.append(block)
        logs.append(lk)
        # Past this the integrand is below 1e-17 of its value at u = 0 (the Gaussian decay plus 1/u^2).
        z = c + 1j * block[-1]
        if (lk[-1].real - n * k0) - math.log(abs(z * (z + 1)) / (c * (c + 1))) < -40:
            break
        if block[-1] > 2000:
            # Few steps of a small q: the loss piles up at its floor log(1-q), and the transform
            # decays too slowly there for this quadrature; use more steps.
            raise RuntimeError(f"the u integral has not decayed by u = {block[-1]:.0f} (steps {n} too few?)")
        u = block[-1] + du
    us = np.concatenate(us)
    logs = np.concatenate(logs)
    z = c + 1j * us
    w = np.full(len(us), du)
    w[0] = du / 2

    def delta(eps):
        vals = np.exp(logs - z * eps) / (z * (z + 1))
        return float(np.dot(w, vals.real) / math.pi)

    return delta, k0


def saddle(mech, n, eps):
    """The c > 0 at which n K'(c) = eps, the minimiser of the Chernoff bound n K(c) - c eps."""
    def slope(c):
        e = 1e-4 * c
        return n * (mech.log_mgf(c + e, np.array([0.0]))[0].real - mech.log_mgf(c - e, np.array([0.0]))[0].real) / (2 * e)

    lo, hi = 1e-3, 1.0
    while slope(hi) < eps and hi < 1e4:
        hi *= 2
    for _ in range(50):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if slope(mid) < eps else (lo, mid)
    return math.sqrt(lo * hi)


def solve_epsilon(delta_of, target, lo=0.0, hi=1.0):
    while delta_of(hi) > target:
        lo, hi = hi, 2 * hi
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if delta_of(mid) > target else (lo, mid)
    return 0.5 * (lo + hi)


def epsilon(q, sigma, n, delta):
    mech = Mechanism(q, sigma)
    # A first epsilon from a rough saddle, then the saddle of that epsilon, then a second c apart.
    eps = 1.0
    for _ in range(2):
        c = saddle(mech, n, max(eps, 1e-3))
        curve, _ = delta_curve(mech, n, c)
        eps = solve_epsilon(curve, delta)
    # Below the saddle, not above: past it M(c)^n can grow so fast (the RDP of high orders) that
    # the integrand's cancellation swamps delta.
    other, _ = delta_curve(mech, n, 0.8 * c)
    eps_other = solve_epsilon(other, delta)
    return {"sampleRate": q, "noise": sigma, "steps": n, "delta": delta, "epsilon": eps,
            "deltaAtEpsilon": curve(eps), "saddle": c, "spread": abs(eps - eps_other)}


def normal_sf(v):
    return 0.5 * math.erfc(v / math.sqrt(2))


def self_check():
    """Against Balle and Wang (2018)'s exact delta of the Gaussian mechanism (q = 1), mu = sqrt(n)/sigma.

    No closed form exists for q < 1 after more than one step, and one step of a small q is out of
    the quadrature's reach; there the spread between two saddle points is the check.
    """
    rows = []
    for s, n, eps in [(2.0, 1, 1.0), (1.0, 100, 80.0), (20.0, 1000, 6.0)]:
        mech = Mechanism(1.0, s)
        curve, _ = delta_curve(mech, n, saddle(mech, n, eps))
        mu = math.sqrt(n) / s
        exact = normal_sf(eps / mu - mu / 2) - math.exp(eps) * normal_sf(eps / mu + mu / 2)
        rows.append({"case": f"gaussian sigma={s} steps={n} eps={eps}", "quadrature": curve(eps), "exact": exact,
                     "relativeError": abs(curve(eps) - exact) / exact})
    return rows


def main():
    if sys.argv[1:] == ["--self-check"]:
        print(json.dumps(self_check()))
        return
    cases = json.loads(sys.argv[1])
    print(json.dumps([epsilon(c["sampleRate"], c["noise"], c["steps"], c["delta"]) for c in cases]))


if __name__ == "__main__":
    main()
