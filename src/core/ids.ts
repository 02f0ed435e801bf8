import { randomFillSync } from 'node:crypto';

/** Random bytes drawn in bulk: one `randomFillSync` serves hundreds of ids. */
const POOL = Buffer.allocUnsafe(4096);
let poolOffset = POOL.length;
/** Where an id is assembled, ASCII byte by byte, before becoming one string. */
const SCRATCH = Buffer.allocUnsafe(256);
const HEX = Buffer.from('0123456789abcdef', 'latin1');
const HYPHEN = 0x2d;
const UNDERSCORE = 0x5f;
/** Most prefix bytes an id may carry (the rest of the scratch buffer holds the UUID). */
const MAX_PREFIX = SCRATCH.length - 37;
const ASCII_PREFIX = /^[\x21-\x7e]*$/;

let lastMs = -1;
/** The 13 ASCII bytes `tttttttt-tttt` of the current millisecond. */
const TIME = Buffer.alloc(13);

/**
 * A new time-ordered identifier (UUID version 7 layout: 48-bit millisecond timestamp, version
 * nibble, variant bits, 74 random bits), optionally prefixed: `newId('dlq')` → `dlq_0193…`.
 * @remarks Time-ordered ids append to the end of primary-key B-trees instead of landing on random
 * pages, which keeps inserts cheap at high rates. Each id is written as ASCII into a scratch
 * buffer from pooled random bytes and read out as one string: every task, decision and audit
 * entry takes one, and building it from pieces (or from `randomUUID`, which concatenates 16 hex
 * pairs) costs several intermediate strings each.
 */
export function newId(prefix?: string, nowMs: number = Date.now()): string {
  let at = 0;
  if (prefix !== undefined) {
    if (prefix.length > MAX_PREFIX || !ASCII_PREFIX.test(prefix))
      return `${prefix}_${newId(undefined, nowMs)}`;
    at = SCRATCH.write(prefix, 0, 'latin1');
    SCRATCH[at++] = UNDERSCORE;
  }
  if (nowMs !== lastMs) {
    const hex = nowMs.toString(16).padStart(12, '0').slice(-12);
    TIME.write(`${hex.slice(0, 8)}-${hex.slice(8, 12)}`, 0, 'latin1');
    lastMs = nowMs;
  }
  TIME.copy(SCRATCH, at);
  at += 13;
  if (poolOffset + 10 > POOL.length) {
    randomFillSync(POOL);
    poolOffset = 0;
  }
  const r = poolOffset;
  poolOffset += 10;
  // -7xxx-yxxx-xxxxxxxxxxxx: version 7, then the RFC 4122 variant (8, 9, a or b) and random hex.
  // Random bits: 3 nibbles of bytes r, r+1; 2 bits of r+1; 3 nibbles of r+2, r+3; bytes r+4..r+9.
  SCRATCH[at++] = HYPHEN;
  SCRATCH[at++] = 0x37; // '7'
  at = hexNibbles(POOL, r, 3, at);
  SCRATCH[at++] = HYPHEN;
  SCRATCH[at++] = HEX[8 | (POOL[r + 1]! & 0x3)]!;
  at = hexNibbles(POOL, r + 2, 3, at);
  SCRATCH[at++] = HYPHEN;
  at = hexNibbles(POOL, r + 4, 12, at);
  return SCRATCH.toString('latin1', 0, at);
}

/** Writes `count` hex digits of `bytes` from `start` (high nibble first) into SCRATCH at `at`. */
function hexNibbles(bytes: Buffer, start: number, count: number, at: number): number {
  for (let i = 0; i < count; i++) {
    const byte = bytes[start + (i >> 1)]!;
    SCRATCH[at++] = HEX[(i & 1) === 0 ? byte >> 4 : byte & 0xf]!;
  }
  return at;
}

/** A new correlation id for a signal or request chain. */
export function newCorrelationId(): string {
  return newId('corr');
}
