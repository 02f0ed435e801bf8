export { CONCLAVE_VERSION } from '../core/version.ts';
