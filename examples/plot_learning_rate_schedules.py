"""
Learning-rate schedules side by side
====================================

A large learning rate makes fast progress but cannot settle into a narrow
minimum: minibatch noise keeps kicking the weights around it. A small one
settles but crawls. Schedules get both by starting large and decaying. This
example trains the same network with each schedule of
:class:`skdeep.MLPClassifier` and plots the rate and the training loss per
epoch.
"""

# %%
# The built-in schedules are scaled to the epoch budget :math:`T` =
# ``max_iter``, with :math:`\eta_0` = ``learning_rate_init`` and :math:`t` the
# epoch:
#
# ===============  ==========================================================
# name             :math:`\eta(t)`
# ===============  ==========================================================
# step             :math:`\eta_0 \cdot 0.1^{\lfloor t / (T/3) \rfloor}`
# exponential      :math:`\eta_0 \cdot 0.01^{t/T}`
# inverse_time     :math:`\eta_0 / (1 + 9t/T)` (":math:`1/t`")
# cosine           :math:`\tfrac12 \eta_0 (1 + \cos(\pi t / T))`
# cosine_restarts  the cosine over cycles of :math:`T/7`, :math:`2T/7`,
#                  :math:`4T/7` epochs, each restarting at :math:`\eta_0`
# ===============  ==========================================================
#
# Any callable ``epoch -> rate`` works too, such as the schedule objects of
# :mod:`skdeep.nn.schedules`; below, cosine restarts with equal cycles.
import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skdeep import MLPClassifier, nn

# 1 is the full example; the examples test runs every example with a small
# budget so that the gallery never rots unseen.
BUDGET = float(os.environ.get("SKDEEP_EXAMPLE_BUDGET", "1"))
EPOCHS = max(7, round(60 * BUDGET))

# Three classes in 20 dimensions, with 5% of the labels flipped at random: no
# network fits such data exactly, so minibatch gradients stay noisy to the end.
X, y = make_classification(
    n_samples=2000,
    n_features=20,
    n_informative=10,
    n_classes=3,
    flip_y=0.05,
    random_state=0,
)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)

# %%
# SGD with momentum at a deliberately high initial rate, so that the
# difference between decaying and not decaying shows. ``n_iter_no_change=inf``
# turns off the stopping rule: every run uses its whole budget.
RATE = 0.05
schedules = {
    "constant": "constant",
    "step": "step",
    "exponential": "exponential",
    "inverse_time (1/t)": "inverse_time",
    "cosine": "cosine",
    "cosine_restarts": "cosine_restarts",
    "CosineWarmRestarts(T_0=T/4)": nn.schedules.CosineWarmRestarts(
        RATE, T_0=max(1, EPOCHS // 4)
    ),
}
histories = {}
with warnings.catch_warnings():
    # A fixed number of epochs, on purpose: not converging is expected.
    warnings.simplefilter("ignore", ConvergenceWarning)
    for name, schedule in schedules.items():
        model = MLPClassifier(
            (64,),
            solver="sgd",
            momentum=0.9,
            learning_rate=schedule,
            learning_rate_init=RATE,
            batch_size=32,
            max_iter=EPOCHS,
            n_iter_no_change=np.inf,
            random_state=0,
        ).fit(X_train, y_train)
        histories[name] = model.history_
        print(f"{name:28s} test accuracy {model.score(X_test, y_test):.3f}")

# %%
# Left: the rate actually used in each epoch (``history_["learning_rate"]``).
# Right: the training loss. At a constant high rate the loss stalls at a
# noisy floor. Every decaying schedule breaks through that floor once its
# rate is small enough: the step schedule at each step, the smooth ones
# gradually. Restarts throw the loss back up briefly each time the rate jumps
# to :math:`\eta_0` (the weights are kicked out of the minimum they were
# settling in), then reach a lower loss by the end of each cycle: a
# warm-restarted run has several good end points, handy for snapshot
# ensembles. (The built-in ``cosine_restarts`` fits cycles of 8, 16 and 32
# epochs into 60 and starts a fourth at the very end, hence its last jump.)
# The decayed runs also generalise better: compare the test accuracies
# printed above.
fig, (ax_rate, ax_loss) = plt.subplots(1, 2, figsize=(12, 4.2))
for name, history in histories.items():
    epochs = np.arange(1, len(history["loss"]) + 1)
    style = "--" if name.startswith("Cosine") else "-"
    ax_rate.plot(epochs, history["learning_rate"], style, label=name)
    ax_loss.plot(epochs, history["loss"], style, label=name)
ax_rate.set_xlabel("epoch")
ax_rate.set_ylabel("learning rate")
ax_loss.set_xlabel("epoch")
ax_loss.set_ylabel("training cross-entropy")
ax_loss.set_yscale("log")
ax_rate.legend(fontsize="small")
fig.tight_layout()
plt.show()
