"""The random-intercept linear mixed model fitted from sums per group gives what statsmodels' MixedLM gives."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.regression.mixed_linear_model import MixedLM

from healthlinks.analytics.mixed import fit_random_intercept


def _world(seed: int, groups: int, tau: float, max_size: int = 40) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, max_size, groups)
    group = np.repeat(np.arange(groups), sizes)
    n = len(group)
    x = np.column_stack([np.ones(n), rng.integers(0, 2, n), rng.integers(0, 2, n), rng.normal(size=n)])
    y = x @ np.array([0.3, 0.1, -0.2, 0.05]) + rng.normal(0, tau, groups)[group] + rng.normal(0, 0.5, n)
    return y, x, group


def _statsmodels(y: np.ndarray, x: np.ndarray, group: np.ndarray):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return MixedLM(y, x, group).fit(reml=True, method=["powell"])


@settings(max_examples=25, deadline=None, derandomize=True)  # the same 25 worlds on every run: CI is not a lottery
@given(
    seed=st.integers(0, 10_000),
    groups=st.integers(8, 60),
    tau=st.sampled_from([0.0, 0.05, 0.3, 1.0]),
)
def test_estimates_and_errors_match_statsmodels(seed, groups, tau):
    y, x, group = _world(seed, groups, tau)
    ours = fit_random_intercept(y, x, group)
    theirs = _statsmodels(y, x, group)
    assert np.allclose(ours.params, theirs.fe_params, atol=1e-4)
    # the errors are the GLS ones, sqrt(diag((X'V^-1 X)^-1)) with V built in full from the fitted variances (as
    # lme4 and nlme give them) ...
    z = (group[:, None] == np.unique(group)[None, :]).astype(float)
    v = ours.scale * np.eye(len(y)) + ours.group_var * z @ z.T
    assert np.allclose(ours.bse, np.sqrt(np.diag(np.linalg.inv(x.T @ np.linalg.solve(v, x)))), rtol=1e-6)
    # ... which statsmodels' (from the Hessian of every parameter) approach when the variance is inside its range;
    # on the boundary (no variance between groups) its Hessian is not defined and ours are least squares' errors
    if theirs.cov_re[0, 0] > 1e-6:
        assert np.allclose(ours.bse, theirs.bse_fe, rtol=0.1)
    if ours.group_var == 0:
        beta, *_ = np.linalg.lstsq(x, y, rcond=None)
        residual = y - x @ beta
        ols = np.sqrt(np.diag(residual @ residual / (len(y) - x.shape[1]) * np.linalg.inv(x.T @ x)))
        assert np.allclose(ours.bse, ols)
    assert ours.scale == pytest.approx(theirs.scale, rel=1e-3)
    assert ours.group_var == pytest.approx(theirs.cov_re[0, 0], rel=1e-2, abs=1e-4)
    assert ours.groups == groups


def test_recovers_the_variances_of_a_large_world():
    y, x, group = _world(7, 400, 0.4, max_size=60)
    fit = fit_random_intercept(y, x, group)
    assert fit.scale == pytest.approx(0.25, rel=0.05)
    assert fit.group_var == pytest.approx(0.16, rel=0.2)
    assert np.all(np.abs(fit.params - [0.3, 0.1, -0.2, 0.05]) < 4 * fit.bse)


def test_no_variance_between_groups_stays_on_the_boundary_and_equals_least_squares():
    y, x, group = _world(3, 50, 0.0)
    rng = np.random.default_rng(0)
    y = x @ np.array([0.3, 0.1, -0.2, 0.05]) + rng.normal(0, 0.5, len(y))
    fit = fit_random_intercept(y, x, group)
    if fit.group_var == 0:
        beta, *_ = np.linalg.lstsq(x, y, rcond=None)
        assert np.allclose(fit.params, beta)
    assert fit.group_var < 0.01


def test_too_few_observations_is_refused():
    with pytest.raises(ValueError, match="fewer observations"):
        fit_random_intercept(np.array([1.0, 2.0]), np.ones((2, 3)), np.array([1, 2]))
