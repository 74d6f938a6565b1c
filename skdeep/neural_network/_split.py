"""The validation split of early stopping: whole rows, held out by content."""

from __future__ import annotations

import numpy as np

from .. import nn


def validation_rows(keys, sample_weight, groups, fraction, *, seed) -> np.ndarray:
    """Boolean mask of the rows held out for validation.

    Distinct rows (equal content keys) are ranked by a seeded hash of their key
    and taken, per group (class) when ``groups`` is given, until they hold
    ``fraction`` of the group's weight, leaving each group at least one distinct
    row to train on. Then at least two distinct rows are held out in all.
    Rows of zero weight always train (they count for nothing either way). A
    weight of k is thus held out exactly like k copies of the row.
    """
    n = keys.shape[0]
    weights = np.ones(n) if sample_weight is None else np.asarray(sample_weight)
    groups = np.zeros(n, dtype=np.intp) if groups is None else np.asarray(groups)
    rank = nn.rows.mix(keys ^ seed)
    order = np.lexsort((rank, groups))  # by group, then by hashed key
    unique_rows, first, inverse = np.unique(
        np.stack([groups[order].astype(np.uint64), keys[order]]),
        axis=1, return_index=True, return_inverse=True,
    )  # fmt: skip
    del unique_rows
    # np.unique sorts its columns; put the distinct rows back in ranked order.
    ranked = np.argsort(first, kind="stable")
    position = np.empty_like(ranked)
    position[ranked] = np.arange(ranked.size)
    distinct_of_row = position[inverse.ravel()]  # per sorted row
    weight = np.bincount(distinct_of_row, weights=weights[order], minlength=ranked.size)
    group = groups[order][first[ranked]]
    live = weight > 0
    taken = np.zeros(ranked.size, dtype=bool)
    for g in np.unique(group[live]):
        members = np.flatnonzero((group == g) & live)
        before = np.cumsum(weight[members]) - weight[members]
        take = before < fraction * weight[members].sum()
        take[-1] = False  # the group keeps a distinct row to train on
        taken[members[take]] = True
    if taken.sum() < 2:
        # Too few by weight: add the best-ranked rows whose group can spare them.
        for d in np.flatnonzero(live & ~taken):
            left = live & ~taken & (group == group[d])
            if left.sum() > 1:
                taken[d] = True
            if taken.sum() >= 2:
                break
    if taken.sum() < 2 or not (live & ~taken).any():
        raise ValueError(
            "The validation set is too small. Increase 'validation_fraction' or the "
            "size of your dataset: "
            f"early_stopping needs a validation set of at least 2 distinct samples "
            f"and samples left to train on, but the data has "
            f"n_samples={n} ({int(live.sum())} distinct with nonzero weight). Set "
            "early_stopping=False or provide more data."
        )
    held_out = np.empty(n, dtype=bool)
    held_out[order] = taken[distinct_of_row]
    return held_out


def split_validation(X, Y, sample_weight, classes, fraction, rng):
    """``(train, validation)``, each ``(X, Y, sample_weight)``: the rows held out
    for early stopping (see :func:`validation_rows`) and the others.

    Rows are held out whole by content, so that sample weights keep meaning
    repetition and duplicates never straddle the split. ``classes`` (the class
    label of each row, or None) keep their shares of the weight on both sides;
    as in scikit-learn's stratified split, each needs two rows at least.
    """
    n = X.shape[0]
    if n < 2:  # before the classes: no split of one row could hold one out
        raise ValueError(
            "early_stopping needs samples to hold out for validation and samples "
            f"left to train on, but the data has n_samples={n}. Set "
            "early_stopping=False or provide more data."
        )
    groups = None
    if classes is not None:
        names, groups, counts = np.unique(
            classes, return_inverse=True, return_counts=True
        )
        if (counts < 2).any():
            raise ValueError(
                "The least populated classes in y have only 1 member, which is too "
                "few. The minimum number of groups for any class cannot be less "
                f"than 2. Classes with too few members are: "
                f"{names[counts < 2].tolist()}. Early stopping holds out a "
                "stratified validation set: set early_stopping=False or provide "
                "more samples of these classes."
            )
    held_out = validation_rows(
        nn.rows.row_keys(X),
        sample_weight,
        groups,
        fraction,
        seed=rng.integers(np.iinfo(np.uint64).max, dtype=np.uint64),
    )
    train = ~held_out
    if sample_weight is None:
        w_train = w_val = None
    else:
        w_train, w_val = sample_weight[train], sample_weight[held_out]
    return (X[train], Y[train], w_train), (X[held_out], Y[held_out], w_val)
