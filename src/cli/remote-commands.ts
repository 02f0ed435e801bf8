import type { SystemStatus } from '../conclave.ts';
import { ApiClient, clientOptions, type RemoteFlags } from './api-client.ts';
import { processOutput, table, type CliOutput } from './output.ts';

/** One agent of GET /agents as the CLI reads it. */
interface AgentRow {
  name: string;
  status: string;
  capabilities: string[];
  breaker: { state: string; consecutive_failures: number };
  calls: number;
  failures: number;
}

/** One dead letter of GET /dlq as the CLI reads it. */
interface DeadLetterRow {
  id: string;
  pattern: string;
  agent: string | null;
  attempts: number;
  error: { code?: string; message?: string } | null;
  dead_at: string;
  replayed_task_id: string | null;
}

function print(output: CliOutput, flags: RemoteFlags, value: unknown, human: () => string): void {
  output.out(flags.json === true ? JSON.stringify(value, null, 2) : human());
}

/** `conclave status`: the server's system status as a table (or JSON with `--json`). */
export async function runStatus(flags: RemoteFlags, output: CliOutput = processOutput()): Promise<void> {
  const client = new ApiClient(clientOptions(flags));
  const s = await client.get<SystemStatus>('/status');
  print(output, flags, s, () => {
    const m = s.system_metrics;
    const rows: [string, string][] = [
      ['server', client.baseUrl],
      ['time', s.timestamp],
      [
        'agents',
        `${m['total_agents'] ?? 0} total: ${m['running_agents'] ?? 0} running, ${m['error_agents'] ?? 0} error, ` +
          `${m['offline_agents'] ?? 0} offline, ${m['disabled_agents'] ?? 0} disabled`,
      ],
      ['queued tasks', String(s.message_queue_size)],
      ['in-flight tasks', String(s.in_flight_tasks)],
      ['retry-waiting tasks', String(s.retry_waiting_tasks)],
      ['active workflows', String(s.active_workflows)],
      ['queued workflows', String(s.queued_workflows)],
      ['halts', s.halts.length === 0 ? 'none' : s.halts.map((h) => `${h.id} (${h.reason})`).join('; ')],
    ];
    return table(['item', 'value'], rows);
  });
}

/** `conclave agents`: every agent with status, capabilities and circuit breaker. */
export async function runAgents(flags: RemoteFlags, output: CliOutput = processOutput()): Promise<void> {
  const client = new ApiClient(clientOptions(flags));
  const res = await client.get<{ total: number; agents: AgentRow[] }>('/agents');
  print(output, flags, res, () =>
    table(
      ['name', 'status', 'capabilities', 'breaker', 'calls', 'failures'],
      res.agents.map((a) => [
        a.name,
        a.status,
        a.capabilities.join(','),
        a.breaker.consecutive_failures > 0
          ? `${a.breaker.state} (${a.breaker.consecutive_failures} failing)`
          : a.breaker.state,
        String(a.calls),
        String(a.failures),
      ]),
    ),
  );
}

/** `conclave dlq list`: dead letters, oldest first as the server lists them. */
export async function runDlqList(
  flags: RemoteFlags & { limit?: number; all?: boolean },
  output: CliOutput = processOutput(),
): Promise<void> {
  const client = new ApiClient(clientOptions(flags));
  const query = `?limit=${flags.limit ?? 100}${flags.all === true ? '&include_replayed=true' : ''}`;
  const res = await client.get<{ items: DeadLetterRow[] }>(`/dlq${query}`);
  print(output, flags, res, () =>
    table(
      ['id', 'pattern', 'agent', 'attempts', 'error', 'dead at', 'replayed as'],
      res.items.map((d) => [
        d.id,
        d.pattern,
        d.agent ?? '-',
        String(d.attempts),
        d.error === null ? '-' : `${d.error.code ?? ''}: ${d.error.message ?? ''}`.slice(0, 60),
        d.dead_at,
        d.replayed_task_id ?? '-',
      ]),
    ),
  );
}

/** `conclave dlq replay <id>`: resubmits a dead letter as a new task. */
export async function runDlqReplay(
  id: string,
  flags: RemoteFlags,
  output: CliOutput = processOutput(),
): Promise<void> {
  const client = new ApiClient(clientOptions(flags));
  const task = await client.post<{ task_id: string; status: string }>(
    `/dlq/${encodeURIComponent(id)}/replay`,
  );
  print(output, flags, task, () => `replayed dead letter ${id} as task ${task.task_id} (${task.status})`);
}

/** `conclave dlq purge`: deletes every dead letter (admin key). */
export async function runDlqPurge(flags: RemoteFlags, output: CliOutput = processOutput()): Promise<void> {
  const client = new ApiClient(clientOptions(flags));
  const res = await client.delete<{ purged: number }>('/dlq');
  print(output, flags, res, () => `purged ${res.purged} dead letter(s)`);
}
