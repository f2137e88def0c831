"""pyjac.special beyond the registry (tests/op_registry/special.py): values against scipy.special
over wide grids including the tails, SciPy's conventions at poles and domain edges, the
derivative chain to high order, float32, and argument errors."""

import numpy as np
import pytest

import pyjac as pj

sps = pytest.importorskip("scipy.special")
S = pj.special


def _rel_err(got, want):
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    same = (got == want) | (np.isnan(got) & np.isnan(want))
    finite = np.isfinite(want) & (want != 0)
    scale = np.abs(np.where(finite, want, 1.0))
    with np.errstate(invalid="ignore"):  # inf - inf where both are inf: `same` covers those
        return np.where(same, 0.0, np.where(finite, np.abs(got - want) / scale, np.inf))


def _check(name, x, rtol, ref=None, fn=None):
    got = (fn or getattr(S, name))(pj.tensor(x)).numpy()
    with np.errstate(all="ignore"):
        want = (ref or getattr(sps, name))(x)
    err = _rel_err(got, want)
    worst = int(np.argmax(err))
    assert err[worst] <= rtol, f"{name}({x[worst]!r}) = {got[worst]!r}, SciPy {want[worst]!r}"


WIDE = np.concatenate([np.linspace(-30, 30, 6001), np.logspace(-300, 2, 400), -np.logspace(-300, 1.4, 400)])


@pytest.mark.parametrize(
    "name,x,rtol",
    [
        ("gamma", np.concatenate([np.linspace(-20.5, 171, 4001), np.logspace(-300, 2, 200)]), 1e-13),
        ("gammaln", np.concatenate([np.linspace(0.1, 0.9, 101), np.linspace(2.1, 50, 400)]), 1e-14),
        ("gammaln", np.logspace(2, 300, 300), 1e-15),  # huge x: Stirling, no overflow
        ("digamma", WIDE[~np.isclose(WIDE, np.round(WIDE)) | (WIDE > 0)], 1e-13),
        ("erfc", np.linspace(-6, 26, 3001), 1e-13),
        ("erfcx", np.concatenate([np.linspace(-26, 30, 4001), np.logspace(1, 300, 300)]), 1e-13),
        ("ndtr", np.linspace(-20, 9, 2901), 1e-13),
        ("log_ndtr", np.concatenate([np.linspace(-30, 9, 3901), -np.logspace(1.5, 150, 200)]), 1e-13),
        ("i0e", np.concatenate([WIDE, np.logspace(2, 300, 200)]), 1e-14),
        ("i1e", np.concatenate([WIDE, np.logspace(2, 300, 200)]), 1e-14),
        ("expit", np.linspace(-700, 700, 2001), 1e-15),
    ],
)
def test_values_against_scipy_over_wide_grids(name, x, rtol):
    _check(name, x, rtol)


def test_inverses_against_scipy_including_both_tails():
    p = np.concatenate([np.linspace(0, 1, 2001), np.logspace(-300, 0, 600), 1 - np.logspace(-16, -0.3, 200)])
    _check("ndtri", p, 1e-14)
    _check("logit", p, 1e-14)
    _check("erfinv", np.concatenate([2 * p - 1, 1 - 2 * p]), 1e-14)


@pytest.mark.parametrize("n", [1, 2, 3, 6])
def test_polygamma_against_scipy(n):
    x = np.concatenate([np.linspace(0.05, 40, 800), np.linspace(-4.9, -0.1, 97)])
    x = x[np.abs(x - np.round(x)) > 0.05]
    _check("polygamma", x, 1e-12, ref=lambda v: sps.polygamma(n, v), fn=lambda t: S.polygamma(n, t))


def test_scipy_conventions_at_poles_and_edges():
    def same(got, want):
        np.testing.assert_array_equal(np.asarray(got.numpy()), np.asarray(want))

    x = np.array([0.0, -0.0, -1.0, -2.0, np.inf, -np.inf, np.nan])
    for name in ("gamma", "gammaln", "digamma"):
        same(getattr(S, name)(pj.tensor(x)), getattr(sps, name)(x))
    same(S.polygamma(2, pj.tensor(x[:4])), sps.polygamma(2, x[:4]))
    p = np.array([-0.5, 0.0, 1.0, 1.5, np.nan])
    for name in ("ndtri", "logit"):
        same(getattr(S, name)(pj.tensor(p)), getattr(sps, name)(p))
    same(S.erfinv(pj.tensor([-1.0, 1.0, 1.5])), sps.erfinv([-1.0, 1.0, 1.5]))
    same(S.erfcx(pj.tensor([-30.0, np.inf, -np.inf])), sps.erfcx([-30.0, np.inf, -np.inf]))
    same(S.xlogy(0.0, pj.tensor([0.0, -1.0, np.inf, np.nan])), sps.xlogy(0.0, [0.0, -1.0, np.inf, np.nan]))
    same(S.xlog1py(0.0, pj.tensor([-1.0, -2.0, np.inf])), sps.xlog1py(0.0, [-1.0, -2.0, np.inf]))


def test_tails_keep_their_relative_accuracy():
    # closed forms of the leading asymptotics, where naive formulas underflow or overflow
    x = np.array([-1e3, -1e5, -1e8])
    np.testing.assert_allclose(S.log_ndtr(pj.tensor(x)).numpy(), sps.log_ndtr(x), rtol=1e-15)
    big = np.array([1e3, 1e6, 1e10])
    np.testing.assert_allclose(
        S.erfcx(pj.tensor(big)).numpy(), 1 / (np.sqrt(np.pi) * big) * (1 - 0.5 / big**2 + 0.75 / big**4), rtol=1e-15
    )
    np.testing.assert_allclose(S.betaln(1e6, 1.0).item(), -np.log(1e6), rtol=1e-14)
    np.testing.assert_allclose(S.betaln(pj.tensor([3e3, 1e5]), 2.5).numpy(), sps.betaln([3e3, 1e5], 2.5), rtol=1e-12)
    np.testing.assert_allclose(
        S.beta(pj.tensor([0.3, 200.0]), 150.0).numpy(), sps.beta([0.3, 200.0], 150.0), rtol=1e-12
    )
    # digamma near its poles and near its negative root
    x = np.array([-1 + 1e-9, -3 - 1e-7, -0.5040830082644554, -5.5])
    np.testing.assert_allclose(S.digamma(pj.tensor(x)).numpy(), sps.digamma(x), rtol=1e-12)


def _nth_derivative(f, x, n):
    """f^(n)(x) for a scalar function, by nested pj.grad with create_graph."""
    x = pj.tensor(x, requires_grad=True)
    y = f(x)
    for _ in range(n):
        (y,) = pj.grad(y, [x], create_graph=True)
    return y.item()


@pytest.mark.parametrize("x", [0.3, 1.7, 6.5, -2.4])
def test_the_gamma_derivative_chain_to_high_order(x):
    # d^k/dx^k gammaln = polygamma(k - 1, x), through digamma and the polygamma rules
    for k in range(1, 6):
        np.testing.assert_allclose(_nth_derivative(S.gammaln, x, k), sps.polygamma(k - 1, x), rtol=1e-11)
    for k in range(0, 4):
        np.testing.assert_allclose(
            _nth_derivative(lambda t: S.polygamma(2, t), x, k), sps.polygamma(2 + k, x), rtol=1e-11
        )


def test_higher_derivatives_by_identities():
    # erfinv(erf(x)) = x and ndtri(ndtr(x)) = x to third order; logit(expit(x)) likewise
    for f in (lambda t: S.erfinv(pj.erf(t)), lambda t: S.ndtri(S.ndtr(t)), lambda t: S.logit(S.expit(t))):
        assert abs(_nth_derivative(f, 0.4, 1) - 1) < 1e-12
        for k in (2, 3):
            assert abs(_nth_derivative(f, 0.4, k)) < 1e-9
    # erfc'' = 4x/sqrt(pi) exp(-x^2); erfcx' = 2x erfcx - 2/sqrt(pi)
    np.testing.assert_allclose(_nth_derivative(S.erfc, 0.7, 2), 4 * 0.7 / np.sqrt(np.pi) * np.exp(-0.49), rtol=1e-13)
    np.testing.assert_allclose(_nth_derivative(S.erfcx, 3.0, 1), 6 * sps.erfcx(3.0) - 2 / np.sqrt(np.pi), rtol=1e-13)
    # i0e and i1e: I0'' = I0 - I1 / x (from I0' = I1), checked against finite differences of scipy's values
    h = 1e-4
    for name in ("i0e", "i1e"):
        f = getattr(sps, name)
        fd2 = (f(1.3 + h) - 2 * f(1.3) + f(1.3 - h)) / h**2
        np.testing.assert_allclose(_nth_derivative(getattr(S, name), 1.3, 2), fd2, rtol=1e-6)
    # i1e'(0) is its limit 1/2; log_ndtr' -> -x in the left tail (pdf / cdf both underflow)
    assert _nth_derivative(S.i1e, 0.0, 1) == 0.5
    np.testing.assert_allclose(_nth_derivative(S.log_ndtr, -1e4, 1), 1e4, rtol=1e-7)
    np.testing.assert_allclose(_nth_derivative(S.log_ndtr, -40.0, 2), -1 + 1 / 40.0**2, rtol=1e-5)


def test_xlogy_derivatives_at_zero_are_finite():
    x, y = pj.tensor([0.0, 0.0, 2.0], requires_grad=True), pj.tensor([0.0, 3.0, 3.0], requires_grad=True)
    gx, gy = pj.grad(pj.sum(S.xlogy(x, y)), [x, y])
    np.testing.assert_allclose(gx.numpy(), [0.0, np.log(3.0), np.log(3.0)])
    np.testing.assert_allclose(gy.numpy(), [0.0, 0.0, 2.0 / 3.0])


def test_float32_computes_in_float32_output():
    x = np.linspace(0.1, 5, 50).astype(np.float32)
    for name in ("gamma", "gammaln", "digamma", "erfc", "erfcx", "ndtr", "log_ndtr", "i0e", "i1e", "expit"):
        out = getattr(S, name)(pj.tensor(x))
        assert out.dtype == np.float32
        np.testing.assert_allclose(out.numpy(), getattr(sps, name)(x.astype(np.float64)), rtol=2e-7, atol=1e-37)
    p = np.linspace(0.01, 0.99, 50).astype(np.float32)
    for name in ("ndtri", "logit", "erfinv"):
        assert getattr(S, name)(pj.tensor(p)).dtype == np.float32
    assert S.polygamma(1, pj.tensor(x)).dtype == np.float32
    assert S.xlogy(pj.tensor(x), 2.0).dtype == np.float32


def test_softmax_and_logsumexp_follow_scipy_axes():
    a = np.random.default_rng(0).standard_normal((2, 3, 4))
    for axis in (None, 0, -1, (0, 2)):
        np.testing.assert_allclose(S.softmax(pj.tensor(a), axis=axis).numpy(), sps.softmax(a, axis=axis), rtol=1e-14)
        np.testing.assert_allclose(
            S.log_softmax(pj.tensor(a), axis=axis).numpy(), sps.log_softmax(a, axis=axis), rtol=1e-14
        )
        np.testing.assert_allclose(
            S.logsumexp(pj.tensor(a), axis=axis).numpy(), sps.logsumexp(a, axis=axis), rtol=1e-14
        )
    # an all -inf slice, and a weight that is zero on the largest entry
    np.testing.assert_array_equal(S.logsumexp(pj.tensor([-np.inf, -np.inf])).item(), -np.inf)
    got = S.logsumexp(pj.tensor([1.0, 500.0]), b=pj.tensor([1.0, 0.0])).item()
    assert got == pytest.approx(1.0, rel=1e-15)


def test_argument_errors_name_the_function():
    with pytest.raises(TypeError, match="polygamma"):
        S.polygamma(1.5, 1.0)
    with pytest.raises(TypeError, match="polygamma"):
        S.polygamma(pj.tensor(1.0, requires_grad=True), 1.0)
    with pytest.raises(ValueError, match="polygamma"):
        S.polygamma(-1, 1.0)
    with pytest.raises(ValueError, match="multigammaln"):
        S.multigammaln(0.5, 3)
    assert S.polygamma(np.int64(2), 1.0).item() == pytest.approx(sps.polygamma(2, 1.0), rel=1e-14)


def test_empty_and_0d_inputs():
    for name in ("gammaln", "digamma", "erfcx", "ndtri", "i1e"):
        assert getattr(S, name)(pj.zeros((0, 3))).shape == (0, 3)
        assert getattr(S, name)(pj.tensor(0.5)).shape == ()
    assert S.xlogy(pj.zeros((0,)), pj.zeros((0,))).shape == (0,)


@pytest.mark.parametrize("a, b", [(150.0, 150.0), (2.0, 2.0), (1e6, 2.0), (3.0, 400.0)])
def test_betaln_hessian_is_exact_at_ties_and_across_the_series_switch(a, b):
    # d2/da2 = polygamma(1, a) - polygamma(1, a + b), d2/dadb = -polygamma(1, a + b): at a == b
    # too, where a min / max choice of the larger argument would split the derivative in half
    sp = pytest.importorskip("scipy.special")
    H = pj.hessian(lambda v: pj.special.betaln(v[0], v[1]), pj.tensor([a, b])).numpy()
    ab = sp.polygamma(1, a + b)
    expected = np.array([[sp.polygamma(1, a) - ab, -ab], [-ab, sp.polygamma(1, b) - ab]])
    np.testing.assert_allclose(H, expected, rtol=1e-9)
