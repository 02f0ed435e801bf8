import { ApiClient, clientOptions, type RemoteFlags } from './api-client.ts';
import { CliFailure, EXIT } from './failure.ts';
import { processOutput, ProgressReporter, type CliOutput } from './output.ts';
import { readSse } from './sse.ts';

/** `run`'s flags besides the global ones. */
export interface RunFlags extends RemoteFlags {
  /** Seconds to follow the workflow before giving up (it keeps running on the server). */
  timeout?: number;
  requester?: string;
}

/** A workflow's state as GET /workflows/{id} and the progress events carry it. */
interface WorkflowState {
  workflow_id: string;
  status: string;
  progress: number;
  current_step: string | null;
  error?: { message?: string } | null;
  error_messages?: string[];
}

/** States a workflow ends in, and which of them count as success. */
const FINAL = new Set(['completed', 'stopped', 'failed', 'cancelled', 'timed_out']);
const SUCCESS = new Set(['completed', 'stopped']);

/** How often the workflow is also polled, in case the stream missed its last event. */
const POLL_MS = 2000;

/**
 * Parses `key=value` command parameters. Values that read as JSON (numbers, booleans, null,
 * arrays, objects) are taken as such; anything else is a string.
 */
export function parseParams(pairs: readonly string[]): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0)
      throw new CliFailure(
        'VALIDATION_FAILED',
        `run: parameter '${pair}' must be written key=value`,
        EXIT.usage,
      );
    const raw = pair.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // Plain text: keep the string.
    }
    params[pair.slice(0, eq)] = value;
  }
  return params;
}

/**
 * `conclave run <command> [key=value…]`: POST /commands/{type}, then follows GET /events for the
 * new workflow (a progress bar on a terminal, plain lines otherwise) until it ends. Resolves when
 * it completed; throws a {@link CliFailure} (exit 1) when it failed, was cancelled or timed out,
 * or when `--timeout` passes first.
 */
export async function runCommand(
  type: string,
  pairs: readonly string[],
  flags: RunFlags,
  output: CliOutput = processOutput(),
): Promise<void> {
  const client = new ApiClient(clientOptions(flags));
  const params = parseParams(pairs);
  const controller = new AbortController();
  const accepted = await client.post<{ workflow_id: string }>(`/commands/${encodeURIComponent(type)}`, {
    parameters: params,
    requester: flags.requester ?? 'cli',
  });
  const id = accepted.workflow_id;
  if (flags.json !== true) output.out(`${type}: workflow ${id} accepted`);
  const reporter = new ProgressReporter(output);
  const timeoutMs = (flags.timeout ?? 600) * 1000;
  let final: WorkflowState | undefined;
  const finish = (state: WorkflowState): void => {
    if (final !== undefined || !FINAL.has(state.status)) return;
    final = state;
    controller.abort();
  };
  const report = (state: WorkflowState): void => {
    if (flags.json === true) output.out(JSON.stringify(state));
    else
      reporter.update(
        state.progress,
        `${state.status}${state.current_step === null ? '' : ` · ${state.current_step}`}`,
        true,
      );
    finish(state);
  };
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const poll = setInterval(() => {
    client.get<WorkflowState>(`/workflows/${id}`).then(finish, () => undefined);
  }, POLL_MS);
  try {
    const body = await client.stream(
      `/events?kind=progress&workflow_id=${encodeURIComponent(id)}`,
      controller.signal,
    );
    // Subscribed now: anything that happened before shows in the workflow's current state.
    report(await client.get<WorkflowState>(`/workflows/${id}`));
    for await (const event of readSse(body)) {
      if (event.event !== 'progress') continue;
      const update = (
        JSON.parse(event.data) as {
          progress_update: WorkflowState & { details?: { error_messages?: string[] } };
        }
      ).progress_update;
      report({ ...update, error_messages: update.details?.error_messages ?? [] });
    }
  } catch (err) {
    if (!controller.signal.aborted) throw err;
  } finally {
    clearTimeout(timer);
    clearInterval(poll);
    reporter.finish();
  }
  if (final === undefined) {
    throw new CliFailure(
      'TIMEOUT',
      `workflow ${id} is still running after ${timeoutMs / 1000} s; follow it at ${client.baseUrl}/workflows/${id}`,
      EXIT.failure,
    );
  }
  conclude(type, final, flags, output);
}

function conclude(type: string, state: WorkflowState, flags: RunFlags, output: CliOutput): void {
  if (flags.json !== true) output.out(`${type}: workflow ${state.workflow_id} ${state.status}`);
  if (SUCCESS.has(state.status)) return;
  const reason = state.error?.message ?? state.error_messages?.at(-1);
  throw new CliFailure(
    'AGENT_ERROR',
    `${type}: workflow ${state.workflow_id} ended ${state.status}${reason === undefined ? '' : `: ${reason}`}`,
    EXIT.failure,
    { status: state.status },
  );
}
