import Fastify from 'fastify';
import { validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { responseSerializerCompiler } from '../../src/server/serializers.ts';

/** A server whose one route answers `body` under a schema with `id` (a string) and `n` (a number). */
async function serve(validate: boolean, body: unknown): Promise<{ status: number; text: string }> {
  const app = Fastify({ logger: false }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(responseSerializerCompiler(validate));
  app.get(
    '/',
    { schema: { response: { 200: z.object({ id: z.string(), n: z.number() }) } } },
    () => body as never,
  );
  try {
    const res = await app.inject({ method: 'GET', url: '/' });
    return { status: res.statusCode, text: res.body };
  } finally {
    await app.close();
  }
}

describe('response serializers', () => {
  it('send what the route built, checked or not', async () => {
    for (const validate of [false, true]) {
      expect(await serve(validate, { id: 'a', n: 1 })).toEqual({ status: 200, text: '{"id":"a","n":1}' });
    }
  });

  it('checked: a response that fails its schema is an error, not sent', async () => {
    const res = await serve(true, { id: 'a', n: 'one' });
    expect(res.status).toBe(500);
    expect(res.text).not.toContain('one');
  });

  it('checked: a key the schema would strip is an error (production would send it)', async () => {
    const res = await serve(true, { id: 'a', n: 1, secret: 'x' });
    expect(res.status).toBe(500);
    expect(res.text).toMatch(/schema changes the response/);
  });

  it('checked: key order alone is no difference', async () => {
    expect(await serve(true, { n: 1, id: 'a' })).toEqual({ status: 200, text: '{"n":1,"id":"a"}' });
  });

  it('unchecked: no schema walk, so the route is trusted as typed', async () => {
    expect((await serve(false, { id: 'a', n: 1, extra: true })).text).toBe('{"id":"a","n":1,"extra":true}');
  });
});
