/** What the chaos test's child processes tell their parent over IPC, and the names they share. */

/** The agents whose signals every correlation needs (one agent process each). */
export const CHAOS_AGENTS = ['momentum', 'risk', 'sentiment'] as const;

/** The correlation id of the `i`-th correlation. */
export function chaosCorrId(i: number): string {
  return `chaos-${String(i).padStart(5, '0')}`;
}

/** A child's report: up and serving, or how far it has got (decisions made, signals published). */
export type ChildReport = { kind: 'ready' } | { kind: 'progress'; count: number } | { kind: 'done' };

/** What the parent tells an agent process. */
export type ParentCommand = { kind: 'go' };
