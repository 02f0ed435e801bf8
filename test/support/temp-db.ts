import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/**
 * For a test file's top level: a maker of fresh SQLite file paths under one temporary directory,
 * which is removed after the file's tests.
 */
export function tempDbPaths(name: string): () => string {
  const root = join(tmpdir(), `conclave-${name}-${process.pid}-${randomUUID()}`);
  let files = 0;
  afterAll(() => rm(root, { recursive: true, force: true }));
  return () => join(root, `run-${files++}.db`);
}
