// Area under the ROC curve, exactly: the Mann-Whitney U statistic with
// average ranks for ties, so a tie between a positive and a negative counts
// one half. Pure, no tensors: scores come back from the device as arrays.

/**
 * AUROC with label 1 = positive (anomaly) and a higher score = more anomalous.
 * Throws a RangeError when the labels hold one class only (AUROC is undefined)
 * or a score is NaN (a NaN has no rank).
 */
export function auroc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  if (labels.length !== n) {
    throw new RangeError(`auroc: ${n} scores but ${labels.length} labels`);
  }
  let nPos = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (y !== 0 && y !== 1) throw new RangeError(`auroc: label ${y} at index ${i} is neither 0 nor 1`);
    if (Number.isNaN(scores[i])) throw new RangeError(`auroc: score at index ${i} is NaN`);
    nPos += y;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) {
    throw new RangeError(`auroc: needs both classes, got ${nPos} positive and ${nNeg} negative labels`);
  }

  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b] || a - b);
  // Sum of the (1-based, tie-averaged) ranks of the positives.
  let rankSumPos = 0;
  for (let start = 0; start < n;) {
    let end = start + 1;
    while (end < n && scores[order[end]] === scores[order[start]]) end++;
    const avgRank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) if (labels[order[k]] === 1) rankSumPos += avgRank;
    start = end;
  }
  const u = rankSumPos - (nPos * (nPos + 1)) / 2;
  return u / (nPos * nNeg);
}
