"""scikit-learn suite tests that do not apply to skdeep, each with its reason.

suite file -> {pattern -> reason}. A pattern is a test function name (every
parametrisation) or a test id with its parametrisation, where ``*`` matches
any run of characters (``test_x[liblinear-*]``). A reason names what skdeep
does not share: the scikit-learn private internal read, or the solver,
parameter or estimator skdeep does not have. A failing test that uses only
the API both packages share is a bug, never an entry here.
"""

_ONLY = "uses only scikit-learn's {}; no KNeighborsClassifier or KNeighborsRegressor"
_RADIUS = "this parametrisation runs scikit-learn's {}, which skdeep does not have"
_SOLVER = "solver {!r}, which skdeep's LogisticRegression does not have"
_CV = "tests scikit-learn's LogisticRegressionCV, which skdeep does not have"
_SOLVERS = "fits and compares {}, which include {}: solvers skdeep does not have"
_ONLY_SOLVER = (
    "fits only with solver {!r}, which skdeep's LogisticRegression does not have"
)
_CALLBACKS = (
    "scikit-learn 1.9's experimental callback API (set_callbacks), which "
    "skdeep does not have"
)
_MIXIN = (
    "reads scikit-learn's private KNeighborsMixin (issubclass) to choose the "
    "parameter, so passes the radius as n_neighbors, more than there are samples"
)
# The metrics of test_neigh_predictions_algorithm_agnosticity, its one
# DistanceMetric object (DM_euclidean) included.
_AGNOSTICITY_METRICS = (
    "DM_euclidean",
    "chebyshev",
    "cityblock",
    "euclidean",
    "l1",
    "l2",
    "manhattan",
    "minkowski",
)
_ARRAY_API = "array API dispatch (array_api_dispatch=True), unsupported by skdeep"

NOT_APPLICABLE = {
    "test_sklearn_mlp.py": {
        "test_fit": "sets scikit-learn's private fit state (_coef_grads, "
        "_coef_velocity, _intercept_velocity, _no_improvement_count) to inject "
        "weights before partial_fit",
        "test_gradient": "calls scikit-learn's private MLPClassifier._loss_grad_lbfgs",
        "test_learning_rate_warmstart": "reads scikit-learn's private "
        "MLPClassifier._optimizer.learning_rate",
        "test_n_iter_no_change": "reads scikit-learn's private _no_improvement_count",
        "test_n_iter_no_change_inf": "reads scikit-learn's private "
        "_no_improvement_count",
        "test_early_stopping_stratified": "matches the class as scikit-learn's "
        "internal boolean encoding of y prints it (['True'] for label 1); skdeep "
        "raises scikit-learn's sentence naming the label itself ([1]), tested in "
        "tests/neural_network/test_sklearn_behaviours.py",
        "test_lbfgs_regression_maxfun": "hinges on scikit-learn's random initial "
        "weights for random_state=1: with skdeep's draws the identity network "
        "converges (scipy's relative-reduction stop) before max_fun, as "
        "scikit-learn's own does with random_state=0; max_fun's ConvergenceWarning "
        "is tested in tests/neural_network/test_multilayer_perceptron.py",
        "test_partial_fit_unseen_classes": "asserts score > 0 of a network "
        "trained for two single-sample steps, a matter of scikit-learn's random "
        "initial weights for random_state=0 (skdeep's draws predict none of the "
        "4 points; 2 of 20 seeds do); the class first seen in a later call is "
        "tested in tests/neural_network/test_sklearn_behaviours.py",
    },
    "test_sklearn_neighbors.py": {
        # Parametrisations over scikit-learn estimators skdeep does not have.
        "*[*RadiusNeighborsClassifier*]": _RADIUS.format("RadiusNeighborsClassifier"),
        "*[*RadiusNeighborsRegressor*]": _RADIUS.format("RadiusNeighborsRegressor"),
        "*[*RadiusNeighborsTransformer*]": _RADIUS.format("RadiusNeighborsTransformer"),
        "*[*KNeighborsTransformer*]": _RADIUS.format("KNeighborsTransformer"),
        "*[*LocalOutlierFactor*]": _RADIUS.format("LocalOutlierFactor"),
        "*[*NearestNeighbors]": _RADIUS.format("NearestNeighbors"),
        "test_neighbor_classifiers_loocv[*-nn_model1]": _RADIUS.format(
            "RadiusNeighborsClassifier"
        ),
        "test_neighbor_regressors_loocv[*-nn_model1]": _RADIUS.format(
            "RadiusNeighborsRegressor"
        ),
        # n_neighbors, radius = 50, 500 and 100, 1000 on 100 samples.
        **{
            f"test_neigh_predictions_algorithm_agnosticity[*-{k}-{r}-{m}-100-100-10]": (
                _MIXIN
            )
            for k, r in ((50, 500), (100, 1000))
            for m in _AGNOSTICITY_METRICS
        },
        "test_neighbors_minkowski_semimetric_algo_warn": "asserts scikit-learn's "
        "private attribute _fit_method (the warning itself is tested in "
        "tests/neighbors/test_knn.py)",
        "test_unsupervised_inputs": "fits on scikit-learn's fitted NearestNeighbors, "
        "BallTree and KDTree objects as X, inputs only scikit-learn's own "
        "neighbors estimators accept",
        # Tests of scikit-learn's other neighbors estimators and functions.
        "test_unsupervised_kneighbors": _ONLY.format("NearestNeighbors"),
        "test_not_fitted_error_gets_raised": _ONLY.format(
            "NearestNeighbors, kneighbors_graph, radius_neighbors_graph"
        ),
        "test_precomputed_sparse_radius": _ONLY.format(
            "NearestNeighbors, RadiusNeighborsClassifier, RadiusNeighborsRegressor"
        ),
        "test_is_sorted_by_data": "calls scikit-learn's private "
        "sklearn.neighbors._base._is_sorted_by_data",
        "test_sort_graph_by_row_values": "calls scikit-learn's private "
        "sklearn.neighbors._base._is_sorted_by_data",
        "test_sort_graph_by_row_values_copy": _ONLY.format("sort_graph_by_row_values"),
        "test_sort_graph_by_row_values_warning": _ONLY.format(
            "sort_graph_by_row_values"
        ),
        "test_sort_graph_by_row_values_bad_sparse_format": _ONLY.format(
            "sort_graph_by_row_values"
        ),
        "test_precomputed_sparse_invalid": _ONLY.format("NearestNeighbors"),
        "test_unsupervised_radius_neighbors": _ONLY.format("NearestNeighbors"),
        "test_radius_neighbors_classifier": _ONLY.format("RadiusNeighborsClassifier"),
        "test_radius_neighbors_classifier_when_no_neighbors": _ONLY.format(
            "RadiusNeighborsClassifier"
        ),
        "test_radius_neighbors_classifier_outlier_labeling": _ONLY.format(
            "RadiusNeighborsClassifier"
        ),
        "test_radius_neighbors_classifier_zero_distance": _ONLY.format(
            "RadiusNeighborsClassifier"
        ),
        "test_radius_neighbors_boundary_handling": _ONLY.format("NearestNeighbors"),
        "test_radius_neighbors_returns_array_of_objects": _ONLY.format(
            "NearestNeighbors"
        ),
        "test_query_equidistant_kth_nn": _ONLY.format("NearestNeighbors"),
        "test_radius_neighbors_sort_results": _ONLY.format(
            "NearestNeighbors, radius_neighbors_graph"
        ),
        "test_RadiusNeighborsClassifier_multioutput": _ONLY.format(
            "RadiusNeighborsClassifier"
        ),
        "test_radius_neighbors_regressor": _ONLY.format("RadiusNeighborsRegressor"),
        "test_RadiusNeighborsRegressor_multioutput_with_uniform_weight": _ONLY.format(
            "RadiusNeighborsRegressor"
        ),
        "test_RadiusNeighborsRegressor_multioutput": _ONLY.format(
            "RadiusNeighborsRegressor"
        ),
        "test_kneighbors_graph": _ONLY.format("kneighbors_graph function"),
        "test_kneighbors_graph_sparse": _ONLY.format("kneighbors_graph function"),
        "test_radius_neighbors_graph": _ONLY.format("radius_neighbors_graph"),
        "test_radius_neighbors_graph_sparse": _ONLY.format("radius_neighbors_graph"),
        "test_nearest_neighbors_validate_params": _ONLY.format(
            "NearestNeighbors, kneighbors_graph, radius_neighbors_graph"
        ),
        "test_neighbors_metrics": _ONLY.format("NearestNeighbors"),
        "test_kneighbors_brute_backend": _ONLY.format("NearestNeighbors"),
        "test_callable_metric": _ONLY.format("NearestNeighbors"),
        "test_valid_brute_metric_for_auto_algorithm": _ONLY.format("NearestNeighbors"),
        "test_non_euclidean_kneighbors": _ONLY.format(
            "NearestNeighbors, kneighbors_graph, radius_neighbors_graph"
        ),
        "test_k_and_radius_neighbors_train_is_not_query": _ONLY.format(
            "NearestNeighbors, kneighbors_graph, radius_neighbors_graph"
        ),
        "test_k_and_radius_neighbors_X_None": _ONLY.format(
            "NearestNeighbors, kneighbors_graph, radius_neighbors_graph"
        ),
        "test_k_and_radius_neighbors_duplicates": _ONLY.format(
            "NearestNeighbors, kneighbors_graph, radius_neighbors_graph"
        ),
        "test_include_self_neighbors_graph": _ONLY.format(
            "kneighbors_graph, radius_neighbors_graph"
        ),
        "test_same_radius_neighbors_parallel": _ONLY.format(
            "RadiusNeighborsClassifier"
        ),
        "test_radius_neighbors_parallel_array_radius": _ONLY.format("NearestNeighbors"),
        "test_sparse_metric_callable": _ONLY.format("NearestNeighbors"),
        "test_pairwise_boolean_distance": _ONLY.format("NearestNeighbors"),
        "test_radius_neighbors_predict_proba": _ONLY.format(
            "RadiusNeighborsClassifier"
        ),
        "test_auto_algorithm": _ONLY.format("NearestNeighbors"),
        "test_radius_neighbors_brute_backend": _ONLY.format("NearestNeighbors"),
        "test_valid_metrics_has_no_duplicate": _ONLY.format("VALID_METRICS table"),
        "test_nearest_neighbours_works_with_p_less_than_1": _ONLY.format(
            "NearestNeighbors"
        ),
    },
    "test_sklearn_logistic.py": {
        # Solvers skdeep does not have ("sag" also matches "saga").
        "*[*liblinear*]": _SOLVER.format("liblinear"),
        "*[*sag*]": _SOLVER.format("sag/saga"),
        # scikit-learn's LogisticRegressionCV and private path functions.
        "*[LogisticRegressionCV*]": _CV,
        "test_logistic_regression_sample_weights[*-cv]": _CV,
        "test_logistic_cv_refit_false_non_elasticnet": _CV,
        "test_logistic_cv_mock_scorer": _CV,
        "test_logistic_cv_sparse": _CV,
        "test_logistic_regressioncv_class_weights": _CV,
        "test_LogisticRegressionCV_no_refit": _CV,
        "test_LogisticRegressionCV_elasticnet_attribute_shapes": _CV,
        "test_lr_cv_scores_differ_when_sample_weight_is_requested": _CV,
        "test_lr_cv_scores_without_enabling_metadata_routing": _CV,
        "test_passing_params_without_enabling_metadata_routing": _CV,
        "test_logisticregressioncv_warns_with_use_legacy_attributes": _CV,
        "test_lr_scoring_warns": _CV,
        "test_get_default_scorer": _CV,
        "test_logistic_regression_path_convergence_fail": "calls scikit-learn's "
        "private sklearn.linear_model._logistic._logistic_regression_path",
        "test_logistic_regression_path_coefs_multinomial": "calls scikit-learn's "
        "private sklearn.linear_model._logistic._logistic_regression_path",
        "test_logistic_regression_path_init_coefs": "calls scikit-learn's "
        "private sklearn.linear_model._logistic._logistic_regression_path",
        # Tests that run scikit-learn's 'liblinear', 'sag' or 'saga' inside (not
        # parametrised by solver); where such a solver is the reference another
        # solver is compared with, the comparison cannot run without it.
        "test_consistency_path": "calls scikit-learn's private "
        "sklearn.linear_model._logistic._logistic_regression_path, and fits "
        "solvers 'sag', 'saga' and 'liblinear', which skdeep does not have",
        "test_logistic_regression_solvers": _SOLVERS.format(
            "every solver of SOLVERS", "'liblinear', 'sag' and 'saga'"
        ),
        "test_logistic_regression_solvers_multiclass": _SOLVERS.format(
            "the solvers of SOLVERS but 'liblinear'", "'sag' and 'saga'"
        )
        + "; also fits scikit-learn's LogisticRegressionCV",
        "test_logistic_regression_solvers_multiclass_unpenalized": _SOLVERS.format(
            "the solvers of SOLVERS but 'liblinear'", "'sag' and 'saga'"
        ),
        "test_logistic_regression_class_weights": _SOLVERS.format(
            "every solver of SOLVERS", "'liblinear', 'sag' and 'saga'"
        ),
        "test_logreg_l1": "compares solver 'saga' with solver 'liblinear', "
        "neither of which skdeep has",
        "test_saga_vs_liblinear": "compares solver 'saga' with solver "
        "'liblinear', neither of which skdeep has",
        "test_logistic_cv": _CV + ", fitted with solver 'liblinear'",
        "test_logistic_regression_cv_refit": _CV + ", fitted with solver 'saga'",
        "test_LogisticRegressionCV_GridSearchCV_elastic_net": _CV
        + ", fitted with solver 'saga' (as is the GridSearchCV it is compared with)",
        "test_scores_attribute_layout_elasticnet": _CV
        + ", fitted with solver 'saga' (as are the models it is compared with)",
        "test_warm_start_converge_LR": _ONLY_SOLVER.format("sag"),
        "test_elastic_net_coeffs": _ONLY_SOLVER.format("saga"),
        "test_elastic_net_vs_l1_l2": _ONLY_SOLVER.format("saga")
        + " (through GridSearchCV and directly)",
        "test_LogisticRegression_elastic_net_objective": _ONLY_SOLVER.format("saga"),
        "test_elastic_net_versus_sgd": "compares SGDClassifier with "
        "LogisticRegression(solver='saga'), a solver skdeep does not have",
        "test_elastic_net_l1_l2_equivalence": _ONLY_SOLVER.format("saga"),
        "test_lr_penalty_l1ratio_incompatible": "fits with solver 'saga', which "
        "skdeep does not have (skdeep emits the warning it expects, then refuses "
        "the solver)",
        "test_l1_ratio_non_elasticnet": "fits with solver 'saga', which skdeep "
        "does not have (skdeep emits the warning it expects, then refuses the "
        "solver)",
        "test_liblinear_dual_random_state": _ONLY_SOLVER.format("liblinear"),
        "test_sample_and_class_weight_equivalence_liblinear": _ONLY_SOLVER.format(
            "liblinear"
        ),
        "test_liblinear_decision_function_zero": _ONLY_SOLVER.format("liblinear"),
        "test_logisticregression_liblinear_sample_weight": _ONLY_SOLVER.format(
            "liblinear"
        ),
        "test_liblinear_with_large_values": "checks the error of solver "
        "'liblinear' on values above 1e30, a solver skdeep does not have",
        "test_liblinear_not_stuck": _ONLY_SOLVER.format("liblinear"),
        "test_liblinear_multiclass_raises": "checks the multiclass error of "
        "solver 'liblinear', a solver skdeep does not have",
        "test_logreg_predict_proba_multinomial": "calls scikit-learn's private "
        "LinearClassifierMixin._predict_proba_lr",
        # scikit-learn 1.9's experimental callback API.
        "test_logistic_regression_callback_support": _CALLBACKS,
        "test_logistic_regression_callback_fitted_estimator": _CALLBACKS,
        "test_logistic_regression_callback_support_warning": _CALLBACKS,
        "test_logistic_regression_array_api_compliance": _ARRAY_API,
        "test_logistic_regression_array_api_warm_start": _ARRAY_API,
    },
}
