// Checks an input against a schema of spec/schemas; failures become one Open311Error 400 naming each problem
// (the words come from src/validate/messages.ts, the one message engine).
import { badRequest } from '../errors.js';
import { schemaProblems } from './messages.js';
import type { SchemaId } from './registry.js';

export { SCHEMAS_DIRECTORY, schemaRegistry, type SchemaId } from './registry.js';
export { schemaProblems } from './messages.js';

/** Checks `input` against a schema of spec/schemas; throws one 400 listing every problem. */
export function validate<T>(schemaId: SchemaId, input: unknown): T {
  const problems = schemaProblems(schemaId, input);
  if (problems.length > 0) throw badRequest(...problems);
  return input as T;
}
