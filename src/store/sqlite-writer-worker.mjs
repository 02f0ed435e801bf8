// The SQLite writer thread: owns a connection of its own and runs write batches sent by
// SqliteWorkerExecutor, each in one transaction, in the order they arrive. Plain JavaScript so
// that it loads in a worker without a TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const db = new Database(workerData.path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma(`busy_timeout = ${workerData.busyTimeoutMs}`);
const begin = db.prepare('BEGIN IMMEDIATE');
const commit = db.prepare('COMMIT');
const rollback = db.prepare('ROLLBACK');
/** @type {import('better-sqlite3').Statement[]} */
const prepared = [];

parentPort.on('message', (msg) => {
  if (msg.type === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    for (const sql of msg.sql) prepared.push(db.prepare(sql));
    /** @type {[number, unknown[]][]} */
    const ops = msg.ops;
    begin.run();
    try {
      for (const [statement, params] of ops) prepared[statement].run(params);
      commit.run();
    } catch (err) {
      if (db.inTransaction) rollback.run();
      throw err;
    }
    parentPort.postMessage({ id: msg.id });
  } catch (err) {
    parentPort.postMessage({ id: msg.id, error: { message: String(err?.message ?? err), code: err?.code } });
  }
});
