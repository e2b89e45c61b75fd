// Regenerates the README's command reference from the CLI's command table.
import { readFileSync, writeFileSync } from 'node:fs';
import { COMMANDS, commandReference, withReference } from '../dist/cli.js';

const readme = readFileSync('README.md', 'utf8');
writeFileSync('README.md', withReference(readme, commandReference(COMMANDS)));
