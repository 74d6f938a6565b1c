"""Logistic (one sigmoid per class) and softmax (multinomial) regression.

The two public classes hold their documentation here; what they share
(options, ``fit``, ``partial_fit``, prediction) is
:class:`~skdeep.linear_model._base._LinearClassifier`, and they differ only in
their link, ``_multinomial``.
"""

from __future__ import annotations

from ._base import (
    _LinearClassifier,
)


class LogisticRegression(_LinearClassifier):
    r"""Logistic regression: sigmoid and binary cross-entropy, one-vs-rest for K > 2.

    The objective is scikit-learn's LogisticRegression's (binary case).

    Parameters
    ----------
    C : float, default=1.0
        Inverse regularization strength: the weight of the data term against
        the penalty. Must be positive.
    l1_ratio : float in [0, 1], default=0.0
        Elastic-net mixing: 0 is a pure l2 penalty, 1 a pure l1 penalty. Values
        above 0 need ``solver`` 'gd' (proximal steps, exact zeros), 'sgd' or
        'adam' (subgradient steps).
    fit_intercept : bool, default=True
        Whether to fit an intercept (never penalised).
    class_weight : dict, "balanced" or None, default=None
        Weights per class, multiplied into ``sample_weight``; "balanced" uses
        ``n_samples / (n_classes · count(class))``.
    solver : {"lbfgs", "newton", "gd", "sgd", "adam"}, default="lbfgs"
        - "lbfgs": scipy's L-BFGS-B on the fused value and gradient.
        - "newton": Newton's method with the exact Hessian, a Cholesky solve and
          Armijo backtracking; few, expensive iterations (memory grows with the
          square of the number of coefficients).
        - "gd": accelerated proximal gradient (FISTA) with backtracking and
          adaptive restart; the only full-batch solver for ``l1_ratio > 0``.
        - "sgd", "adam": minibatches of ``min(200, n_samples)`` rows trained by
          :mod:`skdeep.nn` (SGD step ``1/(2L)`` from the data, Adam step 0.03);
          they allow :meth:`partial_fit`.
    max_iter : int, default=100
        Maximum iterations (epochs for "sgd" and "adam").
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
        Print the objective at every iteration or epoch when positive.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    coef_ : ndarray of shape (1 or n_classes, n_features)
        Coefficients, in the dtype of the training data.
    intercept_ : ndarray of shape (1 or n_classes,)
        Intercepts (zeros when ``fit_intercept=False``).
    n_iter_ : ndarray of shape (1 or n_classes,)
        Iterations (epochs for "sgd" and "adam") run; for the full-batch
        solvers one entry per binary problem.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Feature names seen during fit, when X has string column names.

    See Also
    --------
    SoftmaxClassifier : Multinomial (softmax) logistic regression.
    LeastSquaresRegressor : Linear regression with the same family of solvers.
    sklearn.linear_model.LogisticRegression : scikit-learn's estimator; both
        reach the same coefficients for the same ``C``.

    Notes
    -----
    With labels yᵢ ∈ {0, 1}, scores zᵢ = xᵢ·w + b, sample weights sᵢ and ρ =
    ``l1_ratio``, the minimised objective is scikit-learn's

    .. math::

        C \sum_i s_i \left[\log(1 + e^{z_i}) - y_i z_i\right]
        + \tfrac{1 - \rho}{2} \|w\|_2^2 + \rho \|w\|_1 ,

    computed divided by ``C·Σsᵢ`` (same minimiser, gradients of order one).
    The gradient is ``Σᵢ sᵢ(σ(zᵢ) − yᵢ)xᵢ`` plus the penalty's, and the
    Hessian ``Σᵢ sᵢσ(zᵢ)(1 − σ(zᵢ))xᵢxᵢᵀ`` (the intercept enters as a constant
    feature that is not penalised). With K > 2 classes, K such problems are
    solved (class k against the rest) and ``predict_proba`` normalises the K
    sigmoids to sum to one.

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
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression as SkLogisticRegression
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skdeep import LogisticRegression
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> clf = LogisticRegression(solver="newton", tol=1e-8).fit(X, y)
    >>> ref = SkLogisticRegression(tol=1e-8).fit(X, y)
    >>> bool(np.allclose(clf.coef_, ref.coef_, rtol=1e-4, atol=1e-6))
    True
    >>> clf.coef_.shape, clf.predict_proba(X[:2]).shape
    ((1, 30), (2, 2))
    """


class SoftmaxClassifier(_LinearClassifier):
    r"""Multinomial logistic regression: softmax and cross-entropy over all classes.

    The same objective as scikit-learn's (multinomial) LogisticRegression.

    Parameters
    ----------
    C : float, default=1.0
        Inverse regularization strength: the weight of the data term against
        the penalty. Must be positive.
    l1_ratio : float in [0, 1], default=0.0
        Elastic-net mixing: 0 is a pure l2 penalty, 1 a pure l1 penalty. Values
        above 0 need ``solver`` 'gd' (proximal steps, exact zeros), 'sgd' or
        'adam' (subgradient steps).
    fit_intercept : bool, default=True
        Whether to fit an intercept (never penalised).
    class_weight : dict, "balanced" or None, default=None
        Weights per class, multiplied into ``sample_weight``; "balanced" uses
        ``n_samples / (n_classes · count(class))``.
    solver : {"lbfgs", "newton", "gd", "sgd", "adam"}, default="lbfgs"
        - "lbfgs": scipy's L-BFGS-B on the fused value and gradient.
        - "newton": Newton's method with the exact Hessian, a Cholesky solve and
          Armijo backtracking; few, expensive iterations (memory grows with the
          square of the number of coefficients).
        - "gd": accelerated proximal gradient (FISTA) with backtracking and
          adaptive restart; the only full-batch solver for ``l1_ratio > 0``.
        - "sgd", "adam": minibatches of ``min(200, n_samples)`` rows trained by
          :mod:`skdeep.nn` (SGD step ``1/(2L)`` from the data, Adam step 0.03);
          they allow :meth:`partial_fit`.
    max_iter : int, default=100
        Maximum iterations (epochs for "sgd" and "adam").
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
        Print the objective at every iteration or epoch when positive.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    coef_ : ndarray of shape (n_classes, n_features)
        Coefficients, in the dtype of the training data.
    intercept_ : ndarray of shape (n_classes,)
        Intercepts (zeros when ``fit_intercept=False``).
    n_iter_ : ndarray of shape (1,)
        Iterations (epochs for "sgd" and "adam") run.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Feature names seen during fit, when X has string column names.

    See Also
    --------
    LogisticRegression : Binary logistic regression, one-vs-rest for more classes.
    sklearn.linear_model.LogisticRegression : scikit-learn's estimator, whose
        multinomial fit reaches the same coefficients for the same ``C``.

    Notes
    -----
    With class indices yᵢ, scores zᵢ = Wᵀxᵢ + b ∈ ℝᴷ, sample weights sᵢ and ρ =
    ``l1_ratio``, the minimised objective is

    .. math::

        C \sum_i s_i \left[\operatorname{logsumexp}(z_i) - z_{i, y_i}\right]
        + \tfrac{1 - \rho}{2} \|W\|_F^2 + \rho \|W\|_1 ,

    computed divided by ``C·Σsᵢ``, in log-sum-exp form (finite for any
    scores). With pᵢ = softmax(zᵢ) the gradient with respect to zᵢ is
    ``sᵢ(pᵢ − onehot(yᵢ))`` and block (k, l) of the Hessian is
    ``Σᵢ sᵢ pᵢₖ(δₖₗ − pᵢₗ) xᵢxᵢᵀ``: "newton" forms all ((n_features + 1)·K)²
    entries and refuses when they would take more than 256 MiB (use "lbfgs").
    Adding a constant to every intercept leaves the probabilities unchanged;
    the reported intercepts sum to zero. With two classes ``coef_`` still has
    two rows and ``decision_function`` returns ``z₁ − z₀``.

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

    _multinomial = True
