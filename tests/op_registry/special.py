"""pyjac.special and pyjac.stats, with scipy.special / scipy.stats as references.

Family "special" (tests/test_special.py, tests/test_stats.py). Domains keep finite differences
away from poles (gamma's at the non-positive integers, ndtri's and logit's at 0 and 1) and kinks
(i0e and i1e at 0); without SciPy installed the entries have no reference (values are then
checked by the family files only, which skip).
"""

import numpy as np

import pyjac as pj

from .core import F32, F64, Joint, OpCase, away_from_zero, normal, uniform

try:
    import scipy.special as sps
    import scipy.stats as sst
except ImportError:  # scipy is a test-only dependency: the derivative checks still run
    sps = sst = None

S = pj.special
D = pj.stats


def _ref(fn):
    """A SciPy reference, or None without SciPy."""
    return None if sps is None else fn


def unary(id, fn_name, domain, rtol=1e-13, ref=None, **kw):
    fn = getattr(S, fn_name)
    reference = ref if ref is not None else (None if sps is None else getattr(sps, fn_name))
    return OpCase(
        id,
        "special." + fn_name,
        fn,
        ((2, 3),),
        domain,
        ref=reference,
        sweep=(fn, reference) if reference is not None else None,
        rtol=rtol,
        family="special",
        tags={"unary"},
        sparsity="elementwise",
        **kw,
    )


def negative_non_integers(lo, hi):
    """k + f for integers k in [lo, hi) and f in [0.2, 0.8]: away from gamma's poles."""

    def sample(rng, shape):
        return rng.integers(lo, hi, shape) + rng.uniform(0.2, 0.8, shape)

    sample.__name__ = f"negative_non_integers({lo}, {hi})"
    return sample


positive = uniform(0.4, 5.0)

UNARY = [
    unary("special.gamma", "gamma", positive),
    unary("special.gamma_negative", "gamma", negative_non_integers(-3, 0), rtol=1e-12),
    unary("special.gammaln", "gammaln", positive, rtol=1e-12),
    unary("special.gammaln_negative", "gammaln", negative_non_integers(-3, 0), rtol=1e-11),
    unary("special.digamma", "digamma", positive, forms={"special.psi": S.psi}),
    unary("special.digamma_negative", "digamma", negative_non_integers(-3, 0), rtol=1e-12),
    unary("special.erf", "erf", normal),
    unary("special.erfc", "erfc", normal),
    unary("special.erfinv", "erfinv", uniform(-0.95, 0.95)),
    unary("special.erfcx", "erfcx", uniform(-2.0, 5.0)),
    unary("special.ndtr", "ndtr", normal),
    unary("special.log_ndtr", "log_ndtr", uniform(-8.0, 4.0), fd_tol=1e-5),
    unary("special.ndtri", "ndtri", uniform(0.05, 0.95)),
    unary("special.i0e", "i0e", away_from_zero(0.3, 4.0)),
    unary("special.i1e", "i1e", away_from_zero(0.3, 4.0)),
    unary("special.expit", "expit", normal),
    unary("special.logit", "logit", uniform(0.05, 0.95)),
]

POLYGAMMA = [
    OpCase(
        f"special.polygamma_{n}",
        "special.polygamma",
        lambda x, n=n: S.polygamma(n, x),
        ((2, 3),),
        positive,
        ref=_ref(lambda x, n=n: sps.polygamma(n, x)),
        args=(n,),
        rtol=1e-12,
        family="special",
        tags={"unary"},
        sparsity="elementwise",
    )
    for n in (0, 1, 2, 3)
]


def _positive_pair(rng, *shapes):
    return [rng.uniform(0.5, 3.0, s) for s in shapes]


def _xy(ylo, yhi):
    def sample(rng, sx, sy):
        return [rng.standard_normal(sx), rng.uniform(ylo, yhi, sy)]

    return sample


def binary(id, fn_name, shapes, domain, rtol=1e-13, **kw):
    fn = getattr(S, fn_name)
    reference = None if sps is None else getattr(sps, fn_name)
    return OpCase(
        id,
        "special." + fn_name,
        fn,
        shapes,
        Joint(domain),
        ref=reference,
        sweep=(fn, reference) if reference is not None else None,
        rtol=rtol,
        family="special",
        tags={"binary"},
        **kw,
    )


BINARY = [
    binary("special.beta", "beta", ((2, 3), (2, 3)), _positive_pair, rtol=1e-12),
    binary("special.beta_broadcast", "beta", ((2, 3), (3,)), _positive_pair, rtol=1e-12),
    binary("special.betaln", "betaln", ((2, 3), (2, 3)), _positive_pair, rtol=1e-12),
    binary("special.xlogy", "xlogy", ((2, 3), (2, 3)), _xy(0.3, 3.0)),
    binary("special.xlogy_broadcast", "xlogy", ((3,), (2, 3)), _xy(0.3, 3.0)),
    binary("special.xlog1py", "xlog1py", ((2, 3), (2, 3)), _xy(-0.7, 3.0)),
]


def reduction(id, name, fn, ref, shapes=((3, 4),), domain=normal, **kw):
    return OpCase(id, name, fn, shapes, domain, ref=_ref(ref), family="special", tags={"reduction"}, **kw)


def _b_domain(rng, sa, sb):
    return [rng.standard_normal(sa), rng.uniform(0.2, 2.0, sb)]


def _signed_b_domain(rng, sa, sb):
    # sums of both signs, kept away from zero: b = +-(1 + u) on one column, small elsewhere
    b = rng.uniform(0.05, 0.2, sb)
    b[:, 0] = rng.choice([-1.0, 1.0], sb[0]) * rng.uniform(2.0, 3.0, sb[0])
    return [rng.uniform(-0.5, 0.5, sa), b]


REDUCTIONS = [
    reduction("special.logsumexp", "special.logsumexp", S.logsumexp, lambda a: sps.logsumexp(a)),
    reduction(
        "special.logsumexp_axis_keepdims",
        "special.logsumexp",
        lambda a: S.logsumexp(a, axis=1, keepdims=True),
        lambda a: sps.logsumexp(a, axis=1, keepdims=True),
    ),
    reduction(
        "special.logsumexp_b",
        "special.logsumexp",
        lambda a, b: S.logsumexp(a, axis=0, b=b),
        lambda a, b: sps.logsumexp(a, axis=0, b=b),
        shapes=((3, 4), (3, 4)),
        domain=Joint(_b_domain),
    ),
    reduction(
        "special.logsumexp_return_sign",
        "special.logsumexp",
        lambda a, b: S.logsumexp(a, axis=1, b=b, return_sign=True),
        lambda a, b: sps.logsumexp(a, axis=1, b=b, return_sign=True),
        shapes=((3, 4), (3, 4)),
        domain=Joint(_signed_b_domain),
    ),
    reduction("special.softmax", "special.softmax", S.softmax, lambda x: sps.softmax(x)),
    reduction(
        "special.softmax_axis", "special.softmax", lambda x: S.softmax(x, axis=0), lambda x: sps.softmax(x, axis=0)
    ),
    reduction("special.log_softmax", "special.log_softmax", S.log_softmax, lambda x: sps.log_softmax(x)),
    reduction(
        "special.log_softmax_axis",
        "special.log_softmax",
        lambda x: S.log_softmax(x, axis=-1),
        lambda x: sps.log_softmax(x, axis=-1),
    ),
    OpCase(
        "special.multigammaln",
        "special.multigammaln",
        lambda a: S.multigammaln(a, 3),
        ((2, 3),),
        uniform(1.5, 4.0),
        ref=_ref(lambda a: sps.multigammaln(a, 3)),
        args=(3,),
        rtol=1e-12,
        family="special",
        tags={"unary"},
        sparsity="elementwise",
    ),
]


# ---- pyjac.stats ---------------------------------------------------------------------------------
def dist(id, name, fn, ref, shapes, domain, rtol=1e-12, **kw):
    return OpCase(id, name, fn, shapes, domain, ref=_ref(ref), rtol=rtol, family="special", tags={"stats"}, **kw)


def _x_loc_scale(rng, sx, sl, ss):
    return [rng.standard_normal(sx), rng.standard_normal(sl), rng.uniform(0.5, 2.0, ss)]


def _loc_scale_forms(method):
    return {"stats.norm": lambda x, loc, scale: getattr(D.norm(loc, scale), method)(x)}


NORM = [
    dist(
        f"stats.norm.{m}",
        f"stats.norm.{m}",
        lambda x, loc, scale, m=m: getattr(D.norm, m)(x, loc, scale),
        lambda x, loc, scale, m=m: getattr(sst.norm, m)(x, loc, scale),
        ((2, 3), (3,), (2, 1)),
        Joint(_x_loc_scale),
        forms=_loc_scale_forms(m),
    )
    for m in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf")
] + [
    dist(
        "stats.norm.ppf",
        "stats.norm.ppf",
        D.norm.ppf,
        lambda q, loc, scale: sst.norm.ppf(q, loc, scale),
        ((2, 3), (3,), (2, 1)),
        (uniform(0.05, 0.95), normal, uniform(0.5, 2.0)),
    )
]


def _mvn_domain(rng, sx, sm, sc):
    a = rng.standard_normal(sc)
    return [rng.standard_normal(sx), rng.standard_normal(sm), a @ a.T + sc[0] * np.eye(sc[0])]


def _mvn(x, mean, cov):
    # the covariance symmetrised inside, so every entry is a free parameter for finite differences
    return D.multivariate_normal.logpdf(x, mean, 0.5 * (cov + pj.transpose(cov)))


def _counts(mu):  # data in the parameter's dtype (a float64 array would promote float32 results)
    return pj.asarray(np.array([[0.0, 1.0, 3.0], [2.0, 5.0, 1.0]]), dtype=mu.dtype)


def _outcomes(p):
    return pj.asarray(np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0]]), dtype=p.dtype)


STATS = NORM + [
    dist(
        "stats.multivariate_normal.logpdf",
        "stats.multivariate_normal.logpdf",
        _mvn,
        lambda x, m, c: sst.multivariate_normal.logpdf(x, m, 0.5 * (c + c.T)),
        ((4, 3), (3,), (3, 3)),
        Joint(_mvn_domain),
        forms={
            "stats.multivariate_normal": lambda x, m, c: D.multivariate_normal(m, 0.5 * (c + pj.transpose(c))).logpdf(x)
        },
        rtol=1e-11,
    ),
    dist(
        "stats.t.logpdf",
        "stats.t.logpdf",
        D.t.logpdf,
        lambda x, df, loc, scale: sst.t.logpdf(x, df, loc, scale),
        ((2, 3), (3,), (3,), (2, 1)),
        (normal, uniform(1.0, 6.0), normal, uniform(0.5, 2.0)),
        forms={"stats.t": lambda x, df, loc, scale: D.t(df, loc, scale).logpdf(x)},
    ),
    dist(
        "stats.gamma.logpdf",
        "stats.gamma.logpdf",
        D.gamma.logpdf,
        lambda x, a, loc, scale: sst.gamma.logpdf(x, a, loc, scale),
        ((2, 3), (3,), (), ()),
        (uniform(1.0, 4.0), uniform(0.5, 3.0), uniform(-0.5, 0.5), uniform(0.5, 2.0)),
        forms={"stats.gamma": lambda x, a, loc, scale: D.gamma(a, loc, scale).logpdf(x)},
    ),
    dist(
        "stats.beta.logpdf",
        "stats.beta.logpdf",
        D.beta.logpdf,
        lambda x, a, b, loc, scale: sst.beta.logpdf(x, a, b, loc, scale),
        ((2, 3), (3,), (2, 1), (), ()),
        (uniform(0.3, 0.7), uniform(0.5, 3.0), uniform(0.5, 3.0), uniform(-0.1, 0.1), uniform(0.9, 1.1)),
        forms={"stats.beta": lambda x, a, b, loc, scale: D.beta(a, b, loc, scale).logpdf(x)},
    ),
    dist(
        "stats.dirichlet.logpdf",
        "stats.dirichlet.logpdf",
        D.dirichlet.logpdf,
        lambda x, alpha: sst.dirichlet.logpdf(x, alpha),
        ((3, 4), (4,)),
        Joint(lambda rng, sx, sa: [rng.uniform(0.1, 0.3, sx), rng.uniform(0.5, 3.0, sa)]),
        forms={"stats.dirichlet": lambda x, alpha: D.dirichlet(alpha).logpdf(x)},
        fd=False,  # the simplex constraint: x's free components are the first K - 1 only
    ),
    dist(
        "stats.dirichlet.logpdf_free",
        "stats.dirichlet.logpdf",
        lambda x, alpha: D.dirichlet.logpdf(x, alpha),
        lambda x, alpha: sst.dirichlet.logpdf(np.concatenate([x, 1 - x.sum(0, keepdims=True)]), alpha),
        ((2, 4), (3,)),
        Joint(lambda rng, sx, sa: [rng.uniform(0.1, 0.4, sx), rng.uniform(0.5, 3.0, sa)]),
    ),
    dist(
        "stats.poisson.logpmf",
        "stats.poisson.logpmf",
        lambda mu: D.poisson.logpmf(_counts(mu), mu),
        lambda mu: sst.poisson.logpmf(np.array([[0.0, 1.0, 3.0], [2.0, 5.0, 1.0]]), mu),
        ((2, 3),),
        uniform(0.5, 4.0),
        forms={"stats.poisson": lambda mu: D.poisson(mu).logpmf(_counts(mu))},
    ),
    dist(
        "stats.bernoulli.logpmf",
        "stats.bernoulli.logpmf",
        lambda p: D.bernoulli.logpmf(_outcomes(p), p),
        lambda p: sst.bernoulli.logpmf(np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0]]), p),
        ((2, 3),),
        uniform(0.1, 0.9),
        forms={"stats.bernoulli": lambda p: D.bernoulli(p).logpmf(_outcomes(p))},
    ),
]

CASES = UNARY + POLYGAMMA + BINARY + REDUCTIONS + STATS
assert all(c.dtypes == (F64, F32) for c in CASES)
