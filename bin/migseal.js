#!/usr/bin/env node
import { main } from '../dist/cli.js';

// A reader that went away (`migseal inspect --json | head`) is its own choice: no stack
// trace. Any other failure to write the output makes a successful command exit 1.
const streams = [process.stdout, process.stderr];
for (const stream of streams) stream.on('error', () => undefined);

const code = await main(process.argv.slice(2));
const writeFailure = () => streams.map((s) => s.errored).find((error) => error && error.code !== 'EPIPE');
// Read now and again once flushed: a later write to a file stream can clear `errored`.
let lost = writeFailure();
// Exit once both streams have flushed (writes to pipes are asynchronous on some systems)
// rather than when the event loop drains: tearing down a heap that is about to vanish
// costs a command 5 to 10 ms.
let open = streams.length;
const flushed = () => {
  if (--open > 0) return;
  lost ??= writeFailure();
  if (lost && code === 0) {
    if (!process.stderr.errored) process.stderr.write(`migseal: error: cannot write the output (${lost.code ?? lost.message}).\n`);
    process.exit(1);
  }
  process.exit(code);
};
for (const stream of streams) stream.write('', flushed);
