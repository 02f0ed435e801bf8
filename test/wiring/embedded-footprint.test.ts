import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/**
 * Every package a module loads at start: static imports and value re-exports, followed through
 * relative files (an `import type` is erased; a dynamic `import()` runs only when called).
 */
function packagesLoadedBy(entry: string): Map<string, string> {
  const packages = new Map<string, string>(); // package → the first file importing it
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022);
    for (const node of source.statements) {
      let specifier: ts.Expression | undefined;
      if (ts.isImportDeclaration(node) && node.importClause?.isTypeOnly !== true)
        specifier = node.moduleSpecifier;
      if (ts.isExportDeclaration(node) && !node.isTypeOnly) specifier = node.moduleSpecifier;
      if (specifier === undefined || !ts.isStringLiteral(specifier)) continue;
      const name = specifier.text;
      if (name.startsWith('.')) {
        if (name.endsWith('.ts')) visit(resolve(dirname(file), name));
      } else if (!name.startsWith('node:')) {
        const pkg = name.startsWith('@') ? name.split('/').slice(0, 2).join('/') : name.split('/')[0]!;
        if (!packages.has(pkg)) packages.set(pkg, file.slice(SRC.length));
      }
    }
  };
  visit(entry);
  return packages;
}

describe('the embedded main job', () => {
  it('loads no driver of the distributed shape and no tracing SDK until configured to', () => {
    const loaded = packagesLoadedBy(`${SRC}cli/main.ts`);
    const heavy = [...loaded].filter(
      ([pkg]) =>
        pkg.startsWith('@nats-io/') ||
        pkg === 'ioredis' ||
        pkg === 'pg' ||
        (pkg.startsWith('@opentelemetry/') && pkg !== '@opentelemetry/api'),
    );
    // Named with the file that pulls each in, so a regression says where to look.
    expect(Object.fromEntries(heavy)).toEqual({});
    expect(loaded.has('fastify')).toBe(true); // the walk does reach the server
  });
});
