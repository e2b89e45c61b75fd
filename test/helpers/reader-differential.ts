import { expect } from 'vitest';

/**
 * The differential check of a grammar-free reader against its full parser: wherever the reader
 * answers, its JSON must be the parser's. Returns the scripts it read and how many the parser
 * refused, so a test can show both sides of the boundary were exercised.
 */
export function compareReader(texts: readonly string[], reader: (text: string) => unknown, parser: (text: string) => string | undefined): { read: Set<string>; refused: number } {
  const read = new Set<string>();
  let refused = 0;
  for (const text of texts) {
    const mine = reader(text);
    const theirs = parser(text);
    if (theirs === undefined) refused++;
    if (mine === undefined) continue;
    read.add(text);
    expect(JSON.stringify(mine), JSON.stringify(text)).toBe(theirs);
  }
  return { read, refused };
}
