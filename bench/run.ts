/**
 * `npm run bench -- <name>` runs bench/<name>.ts. Each benchmark prints a readable table and, as
 * its very last line, one JSON object with its figures.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const name = process.argv[2];
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !['run.ts', 'support.ts'].includes(f))
  .map((f) => f.slice(0, -3));
if (name === undefined || !existsSync(join(here, `${name}.ts`)) || !available.includes(name)) {
  console.error(`usage: npm run bench -- <name>\navailable benchmarks: ${available.join(', ')}`);
  process.exit(2);
}
const mod = (await import(pathToFileURL(join(here, `${name}.ts`)).href)) as {
  main: (args: string[]) => Promise<void>;
};
await mod.main(process.argv.slice(3));
