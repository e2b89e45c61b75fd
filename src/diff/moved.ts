/**
 * Which keys moved between two orderings of the same keys: those outside a longest
 * increasing subsequence of old positions taken in new order, so one migration moved is
 * reported as one, not as everything it jumped over.
 */
export function movedKeys(oldOrder: readonly string[], newOrder: readonly string[]): string[] {
  const oldIndex = new Map(oldOrder.map((k, i) => [k, i]));
  const seq = newOrder.map((k) => oldIndex.get(k)!);
  // Patience sorting: tails[l] is the index in seq of the smallest tail of an increasing run of length l+1.
  const tails: number[] = [];
  const previous: number[] = new Array(seq.length).fill(-1);
  seq.forEach((value, i) => {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (seq[tails[mid]!]! < value) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) previous[i] = tails[lo - 1]!;
    tails[lo] = i;
  });
  const kept = new Set<number>();
  for (let i = tails.length ? tails[tails.length - 1]! : -1; i !== -1; i = previous[i]!) kept.add(i);
  return newOrder.filter((_, i) => !kept.has(i));
}
