"""The numbers shown for a set of embeddings, with numpy: cosine similarities, neighbours, a PCA map, agreement."""
import numpy as np

NEIGHBOURS = 3  # listed for each text (fewer when there are fewer other texts)


def cosine_matrix(vectors) -> np.ndarray:
    """Cosine similarity of every pair of vectors (a zero vector is similar to nothing, itself included)."""
    matrix = np.asarray(vectors, dtype=float)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit = np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)
    return np.clip(unit @ unit.T, -1.0, 1.0)


def ranked(similarity: np.ndarray, row: int) -> list[int]:
    """The other texts, most similar to `row` first (ties: the earlier text first)."""
    others = [j for j in range(len(similarity)) if j != row]
    return sorted(others, key=lambda j: (-similarity[row, j], j))


def neighbours(similarity: np.ndarray, k: int = NEIGHBOURS) -> list[list[dict]]:
    """For each text, its `k` nearest others: [{index, similarity}]."""
    return [[{"index": j, "similarity": float(similarity[i, j])} for j in ranked(similarity, i)[:k]]
            for i in range(len(similarity))]


def projection(vectors) -> dict:
    """The vectors on their first two principal components: {points: [[x, y]], explained: [share, share]}.

    Each component's sign is fixed (its largest loading positive), so the same vectors always give the same map.
    """
    matrix = np.asarray(vectors, dtype=float)
    centred = matrix - matrix.mean(axis=0)
    _, singular, components = np.linalg.svd(centred, full_matrices=False)
    points = np.zeros((len(matrix), 2))
    explained = [0.0, 0.0]
    total = float((singular ** 2).sum())
    for axis in range(min(2, len(singular))):
        component = components[axis]
        sign = 1.0 if component[np.argmax(np.abs(component))] >= 0 else -1.0
        points[:, axis] = centred @ (component * sign)
        explained[axis] = float(singular[axis] ** 2 / total) if total > 0 else 0.0
    return {"points": points.round(6).tolist(), "explained": [round(share, 6) for share in explained]}


def _ranks(values: np.ndarray) -> np.ndarray:
    """Ranks with ties averaged (for Spearman's coefficient)."""
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values), dtype=float)
    for value in np.unique(values):
        tied = values == value
        ranks[tied] = ranks[tied].mean()
    return ranks


def spearman(a: np.ndarray, b: np.ndarray) -> float | None:
    """Spearman's rank correlation of two equal-length series (None where either has no spread)."""
    ra, rb = _ranks(a), _ranks(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    spread = float(np.sqrt((ra ** 2).sum() * (rb ** 2).sum()))
    return float((ra * rb).sum() / spread) if spread > 0 else None


def agreement(first: np.ndarray, second: np.ndarray, k: int = NEIGHBOURS) -> dict:
    """How much two models agree on the same texts.

    overlap_at_k: the mean share of each text's k nearest neighbours that both models name;
    spearman: the mean, over texts, of the rank correlation of their similarities to the other texts
    (None with fewer than three texts); per_text: both for each text; mean_abs_difference: between the
    two similarity matrices, off the diagonal.
    """
    size = len(first)
    k = max(1, min(k, size - 1))
    per_text = []
    for i in range(size):
        others = [j for j in range(size) if j != i]
        overlap = len(set(ranked(first, i)[:k]) & set(ranked(second, i)[:k])) / k
        rho = spearman(first[i, others], second[i, others]) if len(others) > 1 else None
        per_text.append({"overlap": overlap, "spearman": rho})
    rhos = [t["spearman"] for t in per_text if t["spearman"] is not None]
    off = ~np.eye(size, dtype=bool)
    return {"k": k, "overlap_at_k": float(np.mean([t["overlap"] for t in per_text])),
            "spearman": float(np.mean(rhos)) if rhos else None, "per_text": per_text,
            "mean_abs_difference": float(np.abs(first - second)[off].mean())}


def analysis(vectors) -> dict:
    """What the page shows for one model's vectors."""
    similarity = cosine_matrix(vectors)
    return {"similarity": similarity.round(6).tolist(), "neighbours": neighbours(similarity),
            "projection": projection(vectors)}
