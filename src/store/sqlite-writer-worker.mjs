// SQLite threads for a file database, one script, two roles (workerData.role):
// - 'writer': owns a connection and runs the write batches sent by SqliteWorkerExecutor, each in
//   one transaction, in the order they arrive;
// - 'checkpointer': copies the WAL back into the database file (PASSIVE checkpoints, which never
//   block the writer) a few times a second, so the writer never stalls on a checkpoint's fsync.
// Plain JavaScript so that it loads in a worker without a TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const db = new Database(workerData.path);
// First, so the pragmas below wait out a busy database rather than fail.
db.pragma(`busy_timeout = ${workerData.busyTimeoutMs}`);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');

if (workerData.role === 'checkpointer') {
  const timer = setInterval(() => {
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // A checkpoint that cannot run now (busy) runs at the next tick.
    }
  }, workerData.checkpointIntervalMs);
  parentPort.on('message', (msg) => {
    if (msg.type === 'close') {
      clearInterval(timer);
      db.pragma('wal_checkpoint(PASSIVE)');
      db.close();
      parentPort.close();
    }
  });
} else {
  db.pragma('cache_size = -32768');
  // Checkpoints are the checkpointer's job; this is only a safety net should it fall far behind.
  db.pragma('wal_autocheckpoint = 50000');
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  const rollback = db.prepare('ROLLBACK');
  /** @type {import('better-sqlite3').Statement[]} */
  const prepared = [];
  parentPort.postMessage({ ready: true });

  parentPort.on('message', (msg) => {
    if (msg.type === 'close') {
      db.close();
      parentPort.close();
      return;
    }
    try {
      for (const sql of msg.sql) prepared.push(db.prepare(sql));
      // Flat: statement index, parameter count, the parameters, then the next run (sqlite-ops.ts).
      /** @type {unknown[]} */
      const ops = msg.ops;
      begin.run();
      try {
        for (let i = 0; i < ops.length;) {
          const n = ops[i + 1];
          prepared[ops[i]].run(ops.slice(i + 2, i + 2 + n));
          i += 2 + n;
        }
        commit.run();
      } catch (err) {
        if (db.inTransaction) rollback.run();
        throw err;
      }
      parentPort.postMessage({ id: msg.id });
    } catch (err) {
      parentPort.postMessage({
        id: msg.id,
        error: { message: String(err?.message ?? err), code: err?.code },
      });
    }
  });
}
