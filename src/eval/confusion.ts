/**
 * Counting a classifier's results: the confusion matrix (rows are the true class, columns the
 * predicted one, as scikit-learn lays it out) and each class's accuracy read off it.
 */

export interface ClassScore {
  readonly label: number;
  /** Test images of this class: the row's sum. */
  readonly count: number;
  /** Of those, predicted as this class: the diagonal entry. */
  readonly correct: number;
  /** correct / count, or null for a class with no test images. */
  readonly accuracy: number | null;
}

/** matrix[true][predicted] over the first `count` samples. */
export function confusionMatrix(labels: ArrayLike<number>, predictions: ArrayLike<number>, count: number, classes: number): number[][] {
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < count; i++) matrix[labels[i]][predictions[i]]++;
  return matrix;
}

export function classScores(matrix: readonly (readonly number[])[]): ClassScore[] {
  return matrix.map((row, label) => {
    const count = row.reduce((a, b) => a + b, 0);
    const correct = row[label];
    return { label, count, correct, accuracy: count > 0 ? correct / count : null };
  });
}
