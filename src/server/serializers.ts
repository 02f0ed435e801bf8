/**
 * Response serialization. Every route declares its responses as zod schemas (they type the
 * handlers and document the API at /docs/json); what is sent is `JSON.stringify` of what the
 * route built. With `validateResponses` (the API's own test suites turn it on) each response is
 * first encoded with its schema, and one that fails it, or that the encoding would change (a key
 * the schema strips, say), is an error: so what production sends is what the tests checked,
 * without a schema walk per response (~6% of the CPU of a POST /orchestrate).
 */
import { isDeepStrictEqual } from 'node:util';
import { serializerCompiler as checkingCompiler } from 'fastify-type-provider-zod';
import { ConclaveError } from '../core/errors.ts';

type SerializerCompiler = typeof checkingCompiler;

/** `JSON.stringify`, with no schema walk. */
const plainCompiler: SerializerCompiler = () => (data) => JSON.stringify(data);

/** Encodes with the schema, and insists the encoding left the response as the route built it. */
const strictCompiler: SerializerCompiler = (route) => {
  const checked = checkingCompiler(route);
  return (data) => {
    const text = checked(data);
    const plain = JSON.stringify(data);
    // Key order aside (a loose object's encoding puts its declared keys first).
    if (text !== plain && !isDeepStrictEqual(JSON.parse(text), JSON.parse(plain))) {
      throw new ConclaveError(
        'INTERNAL',
        `${route.method} ${route.url}: the response schema changes the response: the route built ${plain}, the schema gives ${text}`,
      );
    }
    return plain;
  };
};

/** The serializer compiler for {@link buildApp}'s `validateResponses` option. */
export function responseSerializerCompiler(validateResponses: boolean): SerializerCompiler {
  return validateResponses ? strictCompiler : plainCompiler;
}
