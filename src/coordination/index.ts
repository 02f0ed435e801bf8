/** The coordination layer's public face: signal schemas, decision policies, routing rules, decision records, the signal coordinator. */
export * from './schemas.ts';
export * from './analyses.ts';
export * from './signal-set.ts';
export * from './policy.ts';
export * from './rule-policy.ts';
export * from './weighted-policy.ts';
export * from './policies.ts';
export * from './routing-rules.ts';
export * from './decision.ts';
export * from './fan-in-policy.ts';
export * from './sinks.ts';
export * from './coordinator.ts';
export * from './stages.ts';
export { describeIssue, formatIssuePath, parseWith } from './validation.ts';
export { compileCoordination } from './compile-options.ts';
