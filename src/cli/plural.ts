/** "1 migration", "2 migrations": a count with its noun in the right number. */
export const count = (n: number, noun: string, plural = `${noun}s`): string => `${n} ${n === 1 ? noun : plural}`;
