/**
 * A small, seeded byte mutator for the test suite's short fuzz runs (the long runs are
 * coverage-guided, under Jazzer.js): flips, insertions, deletions, repeats, boundary numbers
 * and splices between seeds, as libFuzzer's own mutations do, without the coverage feedback.
 */
export function prng(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0x30, 0x39, 0x2f, 0x2e, 0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x0a, 0x00];

export function mutate(seeds: readonly Buffer[], random: () => number, maxLength = 1 << 16): Buffer {
  const pick = (n: number) => Math.floor(random() * n);
  let data = Buffer.from(seeds[pick(seeds.length)]!);
  const rounds = 1 + pick(4);
  for (let r = 0; r < rounds; r++) {
    const at = pick(data.length + 1);
    switch (pick(7)) {
      case 0: // flip a bit
        if (data.length) data[at % data.length]! ^= 1 << pick(8);
        break;
      case 1: // an interesting byte
        if (data.length) data[at % data.length] = INTERESTING[pick(INTERESTING.length)]!;
        break;
      case 2: // insert random bytes
        data = Buffer.concat([data.subarray(0, at), Buffer.from(Array.from({ length: 1 + pick(8) }, () => pick(256))), data.subarray(at)]);
        break;
      case 3: // delete a run
        data = Buffer.concat([data.subarray(0, at), data.subarray(at + 1 + pick(16))]);
        break;
      case 4: // repeat a run
        data = Buffer.concat([data.subarray(0, at), data.subarray(at, at + 1 + pick(64)), data.subarray(at)]);
        break;
      case 5: {
        // splice with another seed
        const other = seeds[pick(seeds.length)]!;
        const from = pick(other.length + 1);
        data = Buffer.concat([data.subarray(0, at), other.subarray(from, from + 1 + pick(256))]);
        break;
      }
      default: // cut short
        data = data.subarray(0, at);
    }
  }
  return data.length > maxLength ? data.subarray(0, maxLength) : data;
}
