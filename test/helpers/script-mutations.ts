/**
 * Seeded randomness and damage to SQL scripts, for the differential tests that hold a
 * grammar-free reader against the full parser (PostgreSQL's and SQLite's common-statement
 * readers): the same seed gives the same scripts on every machine.
 */

/** A small seeded generator (mulberry32): numbers in [0, 1). */
export function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Token-level and character-level damage to each script: a token dropped, doubled, swapped
 * with another, or one of `inserts` put in; or one character replaced by a printable one.
 * Tokens are what `split` (a regex with one capturing group) cuts the text into.
 */
export function mutateScripts(texts: readonly string[], seed: number, split: RegExp, inserts: readonly string[]): string[] {
  const r = random(seed);
  return texts.map((text) => {
    const tokens = text.split(split).filter((t) => t !== '');
    const i = Math.floor(r() * tokens.length);
    const j = Math.floor(r() * tokens.length);
    switch (Math.floor(r() * 6)) {
      case 0:
        tokens.splice(i, 1);
        break;
      case 1:
        tokens.splice(i, 0, tokens[j]!);
        break;
      case 2:
        [tokens[i], tokens[j]] = [tokens[j]!, tokens[i]!];
        break;
      case 3:
        tokens.splice(i, 0, inserts[Math.floor(r() * inserts.length)]!);
        break;
      default: {
        const at = Math.floor(r() * text.length);
        return text.slice(0, at) + String.fromCharCode(32 + Math.floor(r() * 95)) + text.slice(at + 1);
      }
    }
    return tokens.join('');
  });
}
