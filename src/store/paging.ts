/** Paging of the store's list queries. */
import { ValidationError } from '../core/errors.ts';
import type { PageQuery } from './store.ts';

const DEFAULT_LIMIT = 100;

/** Checks a page query's limit and offset, naming the bad one. */
export function pageOf(query: PageQuery): { limit: number; offset: number } {
  const limit = query.limit ?? DEFAULT_LIMIT;
  const offset = query.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new ValidationError('limit', `must be a positive integer, got ${String(limit)}`);
  }
  if (!Number.isInteger(offset) || offset < 0) {
    throw new ValidationError('offset', `must be a non-negative integer, got ${String(offset)}`);
  }
  return { limit, offset };
}
