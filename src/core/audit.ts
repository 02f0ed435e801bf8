/**
 * Durable operator records: settings (a key → JSON value table, last writer wins) and the audit
 * log (append-only entries of who did what, e.g. an emergency stop and its lifting).
 */

/** A stored setting: its JSON value and who wrote it last, when. */
export interface SettingRecord {
  value: unknown;
  /** Epoch ms. */
  updatedAt: number;
  updatedBy: string | null;
}

/** A setting with its key (as listed). */
export interface SettingEntry extends SettingRecord {
  key: string;
}

/** One audit log entry. */
export interface AuditEntry {
  id: string;
  /** Epoch ms. */
  at: number;
  /** What happened, e.g. `emergency_stop`, `trading_resumed`, `algorithm_validation`. */
  kind: string;
  /** Correlation id (a workflow run id, a task id), if any. */
  corrId: string | null;
  /** Who did it (a requester name), if known. */
  actor: string | null;
  /** JSON details. */
  data: unknown;
}

/** Filter for listing audit entries; results come newest first. */
export interface AuditQuery {
  kind?: string;
  corrId?: string;
  /** Default 100. */
  limit?: number;
  /** Only entries strictly before this epoch ms. */
  before?: number;
}
