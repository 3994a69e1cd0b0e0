// Objects keyed by outside input (attribute codes, JSON member names) have no prototype, so a key such as
// __proto__, constructor or toString is an ordinary key: on a plain object `constructor` would read Object's
// constructor, and setting `__proto__` would replace the object's prototype instead of storing a value.

/** An empty object without a prototype, for keys that come from outside. */
export function keyedByInput<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}
