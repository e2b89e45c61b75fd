/** A yes/no question on the terminal: only "y" or "yes" is a yes; anything else, end of input or Ctrl-C is a no. */

export async function askYesNo(question: string, input: NodeJS.ReadableStream = process.stdin, output: NodeJS.WritableStream = process.stderr): Promise<boolean> {
  // Imported here, not at the top: a command built as one file would otherwise load readline on every run.
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input, output, terminal: true });
  // Ctrl-C answers no, so the command stops as a refusal would: lock released, nothing changed.
  rl.on('SIGINT', () => rl.close());
  try {
    const answer = await Promise.race([rl.question(question), new Promise<string>((resolve) => rl.once('close', () => resolve('')))]);
    return /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    rl.close();
  }
}
