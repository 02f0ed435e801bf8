import { z } from 'zod';
import type { Conclave } from '../../conclave.ts';
import type { AuditEntry } from '../../core/audit.ts';
import { DECISION_ACTIONS, type Decision } from '../../coordination/index.ts';
import { errorResponses, idSchema, isoTime, isoTimeSchema } from '../api-schemas.ts';
import type { ConclaveServer } from '../server-types.ts';

const LIMIT = 'must be an integer from 1 to 1000';

/** Pages of audit entries read at most for one request, so a rare filter cannot scan forever. */
const MAX_PAGES = 20;

const decisionsQuerySchema = z.strictObject({
  corr_id: idSchema.optional(),
  action: z.enum(DECISION_ACTIONS, { error: `must be one of ${DECISION_ACTIONS.join(', ')}` }).optional(),
  since: z.iso
    .datetime({ offset: true, error: 'must be an ISO-8601 time such as 2026-01-02T03:04:05Z' })
    .optional(),
  limit: z.coerce.number({ error: LIMIT }).int(LIMIT).min(1, LIMIT).max(1000, LIMIT).default(50),
});

const decisionViewSchema = z.looseObject({
  corr_id: z.string(),
  decision_id: z.string(),
  action: z.string(),
  confidence: z.number(),
  audited_at: isoTimeSchema,
});

/** A decision audit entry's payload, as far as this route reads it. */
interface DecisionAuditData {
  decision?: Decision;
}

/**
 * GET /decisions: the most recent decisions, newest first, from the audit store (each decision is
 * audited once), filtered by `corr_id`, `action` and `since`, at most `limit` (default 50).
 * @remarks The store filters by kind and corr_id and pages backwards with `before`; `action` and
 * `since` are applied here, reading at most {@link MAX_PAGES} pages.
 */
export function decisionsRoute(app: ConclaveServer, conclave: Conclave): void {
  app.get(
    '/decisions',
    {
      schema: {
        summary: 'Recent decisions, newest first',
        tags: ['decisions'],
        querystring: decisionsQuerySchema,
        response: {
          200: z.object({ decisions: z.array(decisionViewSchema), count: z.int() }),
          ...errorResponses(400, 401, 403, 429),
        },
      },
    },
    async (request) => {
      const { corr_id: corrId, action, since, limit } = request.query;
      const sinceMs = since === undefined ? undefined : Date.parse(since);
      const found: (Decision & { audited_at: string })[] = [];
      const pageSize = Math.min(1000, Math.max(100, limit * 2));
      let before: number | undefined;
      for (let page = 0; page < MAX_PAGES && found.length < limit; page++) {
        const entries: AuditEntry[] = await conclave.store.audit.list({
          kind: 'decision',
          limit: pageSize,
          ...(corrId === undefined ? {} : { corrId }),
          ...(before === undefined ? {} : { before }),
        });
        let older = false;
        for (const entry of entries) {
          if (sinceMs !== undefined && entry.at < sinceMs) {
            older = true;
            break;
          }
          const decision = (entry.data as DecisionAuditData | null)?.decision;
          if (decision === undefined || (action !== undefined && decision.action !== action)) continue;
          found.push({ ...decision, audited_at: isoTime(entry.at) });
          if (found.length === limit) break;
        }
        const last = entries.at(-1);
        if (older || last === undefined || entries.length < pageSize) break;
        before = last.at;
      }
      return { decisions: found, count: found.length };
    },
  );
}
