export * from './errors.ts';
export * from './ids.ts';
export * from './clock.ts';
export * from './random.ts';
export * from './config.ts';
export * from './task.ts';
export * from './typed-emitter.ts';
export * from './condition.ts';
