import pkg from '../../package.json' with { type: 'json' };

/** The running Conclave's version, from package.json (reported by GET /health, stamped in audit entries). */
export const CONCLAVE_VERSION: string = pkg.version;
