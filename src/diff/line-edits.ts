/**
 * The shortest edit script between two lists of lines (Myers' O(ND) algorithm), bounded:
 * with more than `maxEdits` inserted plus deleted lines it gives up and returns undefined,
 * so memory stays O(maxEdits²) however large the inputs are.
 */
export interface LineEdit {
  op: ' ' | '-' | '+';
  line: string;
}

export function lineEdits(a: readonly string[], b: readonly string[], maxEdits: number): LineEdit[] | undefined {
  const n = a.length;
  const m = b.length;
  // trace[d][k + d] is the furthest x reached on diagonal k (x - y) with d edits.
  const trace: Int32Array[] = [];
  for (let d = 0; d <= Math.min(maxEdits, n + m); d++) {
    const prev = trace[d - 1];
    const v = new Int32Array(2 * d + 1);
    for (let k = -d; k <= d; k += 2) {
      let x = d === 0 ? 0 : fromAbove(prev!, d, k) ? prev![k + 1 + d - 1]! : prev![k - 1 + d - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[k + d] = x;
      if (x >= n && y >= m) {
        trace.push(v);
        return backtrack(trace, a, b);
      }
    }
    trace.push(v);
  }
  return undefined;
}

/** Whether the path to diagonal k at step d comes from diagonal k + 1 (an insertion) rather than k - 1 (a deletion). */
function fromAbove(prev: Int32Array, d: number, k: number): boolean {
  return k === -d || (k !== d && prev[k - 1 + d - 1]! < prev[k + 1 + d - 1]!);
}

function backtrack(trace: Int32Array[], a: readonly string[], b: readonly string[]): LineEdit[] {
  const edits: LineEdit[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = trace.length - 1; d > 0; d--) {
    const prev = trace[d - 1]!;
    const k = x - y;
    const prevK = fromAbove(prev, d, k) ? k + 1 : k - 1;
    const prevX = prev[prevK + d - 1]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) edits.push({ op: ' ', line: a[--x]! }), y--;
    if (x === prevX) edits.push({ op: '+', line: b[--y]! });
    else edits.push({ op: '-', line: a[--x]! });
  }
  while (x > 0 && y > 0) edits.push({ op: ' ', line: a[--x]! }), y--;
  return edits.reverse();
}
