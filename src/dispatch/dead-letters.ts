import type { Clock } from '../core/clock.ts';
import { ConclaveError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { DeadLetterRecord, TaskRecord } from '../core/task.ts';
import type { DeadLetterQuery, TaskRepository } from '../store/store.ts';
import type { Dispatcher } from './dispatcher.ts';

/**
 * The persisted dead-letter queue: tasks that exhausted their retries, kept for inspection,
 * replay (as a new task, linked to the old one) and purge.
 */
export class DeadLetterQueue {
  constructor(
    private readonly tasks: TaskRepository,
    private readonly dispatcher: Dispatcher,
    private readonly clock: Clock,
  ) {}

  list(query?: DeadLetterQuery): Promise<DeadLetterRecord[]> {
    return this.tasks.listDeadLetters(query);
  }

  /** One letter; `NOT_FOUND` if unknown. */
  async get(id: string): Promise<DeadLetterRecord> {
    const letter = await this.tasks.getDeadLetter(id);
    if (letter === undefined) throw new ConclaveError('NOT_FOUND', `dead letter '${id}' does not exist`);
    return letter;
  }

  /**
   * Submits the letter's task again as a new task (metadata `replay_of` names the old one).
   * A letter replays once: a second replay is `CONFLICT`.
   */
  async replay(id: string): Promise<TaskRecord> {
    const letter = await this.get(id);
    if (letter.replayedTaskId !== null) {
      throw new ConclaveError(
        'CONFLICT',
        `dead letter '${id}' was already replayed as task ${letter.replayedTaskId}`,
        {
          details: { replayedTaskId: letter.replayedTaskId },
        },
      );
    }
    const taskId = newId();
    // Claim the letter first, atomically, so two concurrent replays cannot both submit.
    await this.tasks.markDeadLetterReplayed(id, taskId, this.clock.now());
    return this.dispatcher.submit(
      {
        pattern: letter.pattern,
        payload: letter.payload,
        priority: letter.priority,
        metadata: { ...letter.metadata, replay_of: letter.taskId },
        ...(letter.corrId === null ? {} : { corrId: letter.corrId }),
      },
      { id: taskId },
    );
  }

  /** Deletes the given letters, or all; returns how many. */
  purge(ids?: readonly string[]): Promise<number> {
    return this.tasks.purgeDeadLetters(ids);
  }
}
