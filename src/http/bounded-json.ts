// The one JSON parser for request bodies, with a depth limit: JSON.parse itself copes with deep nesting, but
// everything after it that walks the value (JSON.stringify, ajv, the serializers) recurses and would
// overflow the stack on a 10 KB body of 5,000 nested arrays. The size limit is the body reader's.
import { badRequest } from '../errors.js';

/** Deepest nesting of arrays and objects any body of this API needs (a GeoJSON MultiPolygon in an import is ~8). */
export const MAX_JSON_DEPTH = 64;

/** The nesting depth of a JSON text, counted without parsing; stops counting once past `limit`. */
function depthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 0x5c)
        index++; // backslash: skip the escaped character
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x5b || code === 0x7b) {
      if (++depth > limit) return true;
    } else if (code === 0x5d || code === 0x7d) depth--;
  }
  return false;
}

/** Parses a JSON body; 400 when it is not JSON or nests deeper than MAX_JSON_DEPTH. */
export function parseBoundedJson(text: string, what = 'The request body'): unknown {
  if (depthExceeds(text, MAX_JSON_DEPTH)) {
    throw badRequest(`${what} nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep.`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest(`${what} is not valid JSON.`);
  }
}
