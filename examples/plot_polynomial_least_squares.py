"""
Polynomial regression: under- and over-fitting
==============================================

Polynomial regression is linear least squares on polynomial features: a
:class:`~sklearn.pipeline.Pipeline` of
:class:`~sklearn.preprocessing.PolynomialFeatures` and
:class:`skdeep.LeastSquaresRegressor`. As the degree grows the training error
keeps falling, while the error on new data falls and then rises again: a low
degree underfits, a high degree fits the noise. A ridge penalty (``alpha``)
tames the high degree.
"""

# %%
# Noisy samples of a smooth curve; a separate, larger test set measures how
# well each model generalises. Everything below is solved in closed form, so
# the example runs in a fraction of a second.
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import mean_squared_error
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures

from skdeep import LeastSquaresRegressor

# 1 is the full example; the examples test runs every example with a small
# budget so that the gallery never rots unseen.
BUDGET = float(os.environ.get("SKDEEP_EXAMPLE_BUDGET", "1"))

rng = np.random.default_rng(0)


def true_curve(x):
    return np.cos(1.5 * np.pi * x)


x_train = np.sort(rng.uniform(0, 1, size=20))
y_train = true_curve(x_train) + rng.normal(scale=0.15, size=x_train.size)
x_test = rng.uniform(0, 1, size=500)
y_test = true_curve(x_test) + rng.normal(scale=0.15, size=x_test.size)

# %%
# One pipeline per degree. ``solver="auto"`` uses Cholesky on the normal
# equations while they are well conditioned; high-degree monomials on [0, 1]
# are nearly collinear, and it switches to the SVD (``solver_`` says which).
degrees = [1, 3, 5, 9, 15]
models = {}
print(f"{'degree':>6} {'train MSE':>10} {'test MSE':>10}  solver")
for degree in degrees:
    model = make_pipeline(
        PolynomialFeatures(degree, include_bias=False), LeastSquaresRegressor()
    )
    model.fit(x_train[:, None], y_train)
    models[degree] = model
    train_mse = mean_squared_error(y_train, model.predict(x_train[:, None]))
    test_mse = mean_squared_error(y_test, model.predict(x_test[:, None]))
    solver = model[-1].solver_
    print(f"{degree:6d} {train_mse:10.4f} {test_mse:10.4f}  {solver}")

# %%
# Every degree from 1 to 15 (fewer at a reduced budget): the training error
# can only fall as the degree grows, since each degree's polynomials include
# the previous one's. The test error traces a U: it falls while extra
# flexibility captures more of the curve (underfitting, high bias), bottoms
# out around degree 3 to 5, then climbs steeply once the polynomial starts
# chasing the noise of 20 points (overfitting, high variance). At degree 19
# a polynomial would pass through all 20 points exactly.
sweep = np.unique(np.linspace(1, 15, max(3, round(15 * BUDGET))).round().astype(int))
sweep_errors = []
for degree in sweep:
    model = make_pipeline(
        PolynomialFeatures(degree, include_bias=False), LeastSquaresRegressor()
    ).fit(x_train[:, None], y_train)
    sweep_errors.append(
        [
            mean_squared_error(y_train, model.predict(x_train[:, None])),
            mean_squared_error(y_test, model.predict(x_test[:, None])),
        ]
    )
sweep_errors = np.array(sweep_errors)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.semilogy(sweep, sweep_errors[:, 0], "o-", label="training MSE")
ax.semilogy(sweep, sweep_errors[:, 1], "o-", label="test MSE")
ax.axhline(0.15**2, color="k", linestyle=":", label="noise variance")
ax.set_xlabel("polynomial degree")
ax.set_ylabel("mean squared error")
ax.legend()
fig.tight_layout()

# %%
# The dotted line is the variance of the noise, :math:`0.15^2`: no model can
# predict new noisy targets better than that on average, so a training error
# far below it is a sure sign of fitting noise.
#
# The same degree-15 features with a small ridge penalty: the training error
# rises a little, the test error drops from about 27 back to below 0.1.
ridge = make_pipeline(
    PolynomialFeatures(15, include_bias=False), LeastSquaresRegressor(alpha=1e-4)
)
ridge.fit(x_train[:, None], y_train)
ridge_test = mean_squared_error(y_test, ridge.predict(x_test[:, None]))
print(f"degree 15, alpha=1e-4: test MSE {ridge_test:.4f}")

# %%
# The fitted curves: the straight line misses the curve's shape whatever the
# data, degree 5 follows it, degree 15 wiggles between the training points,
# and the ridge penalty irons most of those wiggles out.
grid = np.linspace(0, 1, max(50, round(300 * BUDGET)))[:, None]
fig, axes = plt.subplots(1, 3, figsize=(12, 3.5), sharey=True)
for ax, degree in zip(axes, [1, 5, 15], strict=True):
    ax.plot(grid, true_curve(grid), "k--", label="true curve")
    ax.plot(grid, models[degree].predict(grid), label=f"degree {degree}")
    if degree == 15:
        ax.plot(grid, ridge.predict(grid), label="degree 15, alpha=1e-4")
    ax.scatter(x_train, y_train, s=12, color="tab:red", label="training data")
    ax.set_ylim(-1.8, 1.8)
    ax.set_title(f"degree {degree}")
    ax.legend(fontsize="small")
fig.tight_layout()
plt.show()
