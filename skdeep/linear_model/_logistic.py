"""Logistic regression (scikit-learn's) and the softmax classifier.

Both are :class:`~._classifier._LinearClassifier` with the same objective; they
differ with two classes (LogisticRegression: one sigmoid score, as
scikit-learn's; SoftmaxClassifier: two softmax columns) and in
LogisticRegression's scikit-learn options that have no maths of their own
here (``penalty``, ``dual``, ``intercept_scaling``, ``n_jobs``).
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.utils._param_validation import Hidden, Interval, StrOptions

from .._warnings import warn
from ._classifier import _LinearClassifier

# The options of both classifiers, documented once (as the MLPs and KNNs do).
_PARAMETERS_DOC = """\
C : float, default=1.0
        Inverse regularization strength: the weight of the data term against
        the penalty. Must be positive; ``np.inf`` means no penalty.
    l1_ratio : float in [0, 1], default=0.0
        Elastic-net mixing: 0 is a pure l2 penalty, 1 a pure l1 penalty. Values
        above 0 need ``solver`` 'gd' (proximal steps, exact zeros), 'sgd' or
        'adam' (subgradient steps).
    fit_intercept : bool, default=True
        Whether to fit an intercept (never penalised).
    class_weight : dict, "balanced" or None, default=None
        Weights per class, multiplied into ``sample_weight``; "balanced" uses
        ``n_samples / (n_classes · count(class))``.
    solver : {"lbfgs", "newton", "newton-cholesky", "newton-cg", "gd", "sgd", \
"adam"}, default="lbfgs"
        - "lbfgs": scipy's L-BFGS-B on the fused value and gradient, with
          scikit-learn's settings.
        - "newton": Newton's method with the exact Hessian, a Cholesky solve and
          Armijo backtracking; few, expensive iterations (memory grows with the
          square of the number of coefficients). scikit-learn's names
          "newton-cholesky" (the same method) and "newton-cg" (Newton steps
          solved by conjugate gradients: the same optimum) run it.
        - "gd": accelerated proximal gradient (FISTA) with backtracking and
          adaptive restart; the only full-batch solver for ``l1_ratio > 0``.
        - "sgd", "adam": minibatches of ``min(200, n_samples)`` rows trained by
          :mod:`skdeep.nn` (SGD step ``1/(2L)`` from the data, Adam step 0.03);
          they allow :meth:`partial_fit`.

        scikit-learn's "sag", "saga" and "liblinear" are refused with the
        solver to use instead ("lbfgs" or "newton" for the same optimum, "gd"
        for an l1 penalty).
    max_iter : int, default=100
        Maximum iterations (epochs for "sgd" and "adam"). 0 returns the
        starting point (zeros, or the previous solution with ``warm_start``)
        with a ConvergenceWarning, as scikit-learn does.
    tol : float, default=1e-4
        Stop when the largest absolute entry of the gradient of the objective
        divided by ``C·Σsᵢ`` falls below ``tol`` (the gradient mapping for
        "gd"); for "sgd" and "adam", when the epoch loss improved by less than
        ``tol`` for 10 consecutive epochs.
    warm_start : bool, default=False
        Start ``fit`` from the previous solution (same classes required).
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffling of "sgd" and "adam" (other solvers are
        deterministic).
    verbose : int, default=0
        Print the objective at every iteration or epoch when positive."""

# LogisticRegression's parameters that it has for scikit-learn's sake.
_SKLEARN_PARAMETERS_DOC = """\
penalty : {"l1", "l2", "elasticnet"} or None, default="deprecated"
        scikit-learn 1.8 deprecated it (it goes in 1.10) and so does this class:
        setting it warns (FutureWarning). "l2" is ``l1_ratio=0``, "l1" is
        ``l1_ratio=1``, "elasticnet" uses ``l1_ratio``, None is ``C=np.inf``.
    dual : bool, default=False
        Only False: the dual formulation exists only in scikit-learn's
        "liblinear" solver, which skdeep does not have.
    intercept_scaling : float, default=1
        Accepted and without effect, as in scikit-learn for every solver but
        "liblinear" (which penalises the intercept as a feature of this value;
        the intercept is never penalised here).
    n_jobs : int, default=None
        Accepted and without effect, as in scikit-learn 1.8 and later (which
        deprecated it and warns when it is set; so does this class). The
        solvers use the BLAS threads (one thread for small problems); limit
        them with ``threadpoolctl``."""

_ATTRIBUTES_DOC = """\
classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_iter_ : ndarray of shape (1,)
        Iterations (epochs for "sgd" and "adam") run.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Feature names seen during fit, when X has string column names."""


class LogisticRegression(_LinearClassifier):
    __doc__ = rf"""Logistic regression: scikit-learn's model, multinomial for K > 2.

    The same parameters, defaults, objective and fitted attributes as
    scikit-learn's ``LogisticRegression`` (1.9): a sigmoid for two classes, the
    softmax (multinomial) for more. For one-vs-rest, wrap it:
    ``sklearn.multiclass.OneVsRestClassifier(LogisticRegression())``.

    Parameters
    ----------
    {_SKLEARN_PARAMETERS_DOC}
    {_PARAMETERS_DOC}

    Attributes
    ----------
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Coefficients, in the dtype of the training data: one row for two
        classes (the log-odds of ``classes_[1]``), one per class for more.
        A ``scipy.sparse`` CSR matrix after :meth:`sparsify`.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts (zeros when ``fit_intercept=False``); with more than two
        classes they sum to zero.
    {_ATTRIBUTES_DOC}

    See Also
    --------
    SoftmaxClassifier : The softmax for two classes too (two rows of ``coef_``).
    sklearn.multiclass.OneVsRestClassifier : One binary LogisticRegression per
        class, the probabilities normalised to sum to one.
    LeastSquaresRegressor : Linear regression with the same family of solvers.
    sklearn.linear_model.LogisticRegression : scikit-learn's estimator; both
        reach the same coefficients for the same options.

    Notes
    -----
    With two classes, labels yᵢ ∈ {{0, 1}}, scores zᵢ = xᵢ·w + b, sample weights
    sᵢ and ρ = ``l1_ratio``, the minimised objective is scikit-learn's

    .. math::

        C \sum_i s_i \left[\log(1 + e^{{z_i}}) - y_i z_i\right]
        + \tfrac{{1 - \rho}}{{2}} \|w\|_2^2 + \rho \|w\|_1 ,

    computed divided by ``C·Σsᵢ`` (same minimiser, gradients of order one).
    The gradient is ``Σᵢ sᵢ(σ(zᵢ) − yᵢ)xᵢ`` plus the penalty's, and the
    Hessian ``Σᵢ sᵢσ(zᵢ)(1 − σ(zᵢ))xᵢxᵢᵀ`` (the intercept enters as a constant
    feature that is not penalised). With K > 2 classes it is
    :class:`SoftmaxClassifier`'s multinomial objective (see there), as in
    scikit-learn since 1.5. The difference from :class:`SoftmaxClassifier` is
    the two-class case only: one sigmoid score ``z`` here, two softmax scores
    ``z₀, z₁`` there, whose penalty ``½(‖w₀‖² + ‖w₁‖²)`` makes its
    ``w₁ − w₀`` the solution here with C doubled.

    Models saved by skdeep before LogisticRegression was multinomial fitted K
    one-vs-rest problems; they load and predict as they did then.

    ``partial_fit`` (solvers "sgd" and "adam") runs one epoch over the rows it
    is given; its penalty is scaled by their total weight.

    References
    ----------
    Nocedal & Wright (2006), *Numerical Optimization*, chapters 3 and 7
    (line searches, L-BFGS). Beck & Teboulle (2009), "A fast iterative
    shrinkage-thresholding algorithm for linear inverse problems".
    O'Donoghue & Candès (2015), "Adaptive restart for accelerated gradient
    schemes".

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression as SkLogisticRegression
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skdeep import LogisticRegression
    >>> X, y = load_iris(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> clf = LogisticRegression(solver="newton-cholesky", tol=1e-8).fit(X, y)
    >>> ref = SkLogisticRegression(tol=1e-8).fit(X, y)
    >>> bool(np.allclose(clf.coef_, ref.coef_, rtol=1e-4, atol=1e-6))
    True
    >>> clf.coef_.shape, clf.predict_proba(X[:2]).shape, clf.n_iter_.shape
    ((3, 4), (2, 3), (1,))
    """

    _sigmoid_for_two_classes = True
    # Files saved before LogisticRegression was multinomial lack the fitted
    # flag: they hold one-vs-rest models (see _LinearClassifier._one_vs_rest).
    _one_vs_rest = True
    # Constructor parameters added since files were first saved: a file that
    # lacks them loads with their defaults (read by skdeep.persistence).
    _added_parameters: ClassVar[frozenset] = frozenset(
        {"penalty", "dual", "intercept_scaling", "n_jobs"}
    )

    _parameter_constraints: ClassVar[dict] = {
        **_LinearClassifier._parameter_constraints,
        "penalty": [
            StrOptions({"l1", "l2", "elasticnet"}),
            None,
            Hidden(StrOptions({"deprecated"})),
        ],
        "l1_ratio": [Interval(Real, 0, 1, closed="both"), None],
        "dual": ["boolean"],
        "intercept_scaling": [Interval(Real, 0, None, closed="neither")],
        "n_jobs": [None, Integral],
    }

    def __init__(
        self,
        penalty="deprecated",
        *,
        C=1.0,
        l1_ratio=0.0,
        dual=False,
        tol=1e-4,
        fit_intercept=True,
        intercept_scaling=1,
        class_weight=None,
        random_state=None,
        solver="lbfgs",
        max_iter=100,
        verbose=0,
        warm_start=False,
        n_jobs=None,
    ):
        super().__init__(
            C=C, l1_ratio=l1_ratio, fit_intercept=fit_intercept,
            class_weight=class_weight, solver=solver, max_iter=max_iter, tol=tol,
            warm_start=warm_start, random_state=random_state, verbose=verbose,
        )  # fmt: skip
        self.penalty = penalty
        self.dual = dual
        self.intercept_scaling = intercept_scaling
        self.n_jobs = n_jobs

    def _C_and_l1_ratio(self) -> tuple[float, float]:
        """``penalty`` (deprecated) mapped onto C and l1_ratio, as scikit-learn's."""
        if self.penalty is None:
            return np.inf, 0.0
        if self.penalty in ("l1", "l2"):
            return self.C, float(self.penalty == "l1")
        return self.C, 0.0 if self.l1_ratio is None else self.l1_ratio

    def _check_options(self):
        """scikit-learn's refusals and warnings for its deprecated options."""
        # scikit-learn's liblinear has a dual form: fit refuses that solver.
        if self.dual and self.solver != "liblinear":
            raise ValueError(
                f"Solver {self.solver} supports only dual=False, got dual=True: "
                "the dual formulation exists only in scikit-learn's 'liblinear' "
                "solver, which skdeep does not have."
            )
        self._warn_deprecated_penalty()
        if self.n_jobs is not None:
            warn(
                "'n_jobs' has no effect (as in scikit-learn since 1.8, which "
                f"removes it in 1.10). You provided 'n_jobs={self.n_jobs}', "
                "please leave it unspecified; the solvers use the BLAS threads "
                "(threadpoolctl limits them).",
                FutureWarning,
            )
        super()._check_options()

    def _warn_deprecated_penalty(self):
        penalty = self.penalty
        if penalty == "deprecated":
            if self.l1_ratio is None:
                warn(
                    "'l1_ratio=None' was deprecated in scikit-learn 1.8 and will "
                    "trigger an error in 1.10. Use 0<=l1_ratio<=1 instead.",
                    FutureWarning,
                )
            return
        warn(
            "'penalty' was deprecated in scikit-learn 1.8 and will be removed in "
            "1.10. To avoid this warning, leave 'penalty' set to its default "
            "value and use 'l1_ratio' or 'C' instead. Use l1_ratio=0 instead of "
            "penalty='l2', l1_ratio=1 instead of penalty='l1', l1_ratio set to "
            "a float between 0 and 1 instead of penalty='elasticnet', and "
            "C=np.inf instead of penalty=None.",
            FutureWarning,
        )
        l1_ratio = self.l1_ratio
        if penalty == "elasticnet" and l1_ratio is None:
            raise ValueError("l1_ratio must be specified when penalty is elasticnet.")
        if penalty != "elasticnet" and l1_ratio is not None and 0 < l1_ratio < 1:
            warn(
                "l1_ratio parameter is only used when penalty is 'elasticnet'. "
                f"Got (penalty={penalty})"
            )
        if (penalty == "l2" and l1_ratio != 0) or (penalty == "l1" and l1_ratio != 1):
            warn(
                f"Inconsistent values: penalty={penalty} with l1_ratio={l1_ratio}. "
                "penalty is deprecated. Please use l1_ratio only."
            )
        if penalty is None and self.C != 1.0:
            warn("Setting penalty=None will ignore the C and l1_ratio parameters")


class SoftmaxClassifier(_LinearClassifier):
    __doc__ = rf"""Multinomial logistic regression: softmax and cross-entropy.

    The same objective as scikit-learn's LogisticRegression for K > 2 classes,
    and the softmax for two classes too (two rows of ``coef_``).

    Parameters
    ----------
    {_PARAMETERS_DOC}

    Attributes
    ----------
    coef_ : ndarray of shape (n_classes, n_features)
        Coefficients, in the dtype of the training data. A ``scipy.sparse``
        CSR matrix after :meth:`sparsify`.
    intercept_ : ndarray of shape (n_classes,)
        Intercepts (zeros when ``fit_intercept=False``), summing to zero.
    {_ATTRIBUTES_DOC}

    See Also
    --------
    LogisticRegression : scikit-learn's model: the same for K > 2 classes, one
        sigmoid score for two.
    sklearn.linear_model.LogisticRegression : scikit-learn's estimator, whose
        multinomial fit reaches the same coefficients for the same ``C``.

    Notes
    -----
    With class indices yᵢ, scores zᵢ = Wᵀxᵢ + b ∈ ℝᴷ, sample weights sᵢ and ρ =
    ``l1_ratio``, the minimised objective is

    .. math::

        C \sum_i s_i \left[\operatorname{{logsumexp}}(z_i) - z_{{i, y_i}}\right]
        + \tfrac{{1 - \rho}}{{2}} \|W\|_F^2 + \rho \|W\|_1 ,

    computed divided by ``C·Σsᵢ``, in log-sum-exp form (finite for any
    scores). With pᵢ = softmax(zᵢ) the gradient with respect to zᵢ is
    ``sᵢ(pᵢ − onehot(yᵢ))`` and block (k, l) of the Hessian is
    ``Σᵢ sᵢ pᵢₖ(δₖₗ − pᵢₗ) xᵢxᵢᵀ``: "newton" forms all ((n_features + 1)·K)²
    entries and refuses when they would take more than 256 MiB (use "lbfgs").
    Adding a constant to every intercept leaves the probabilities unchanged;
    the reported intercepts sum to zero. With two classes ``coef_`` still has
    two rows and ``decision_function`` returns ``z₁ − z₀``; the penalty on
    both rows makes ``w₁ − w₀`` :class:`LogisticRegression`'s solution with C
    doubled.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from skdeep import SoftmaxClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SoftmaxClassifier(solver="newton").fit(X, y)
    >>> clf.coef_.shape, clf.score(X, y) > 0.95
    ((3, 4), True)
    >>> bool(np.allclose(clf.predict_proba(X).sum(axis=1), 1.0))
    True
    """
