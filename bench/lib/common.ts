// What every part of the benchmark shares: the project root, and how a bad setting stops the run.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) die(`${name} must be a non-negative number, got "${raw}"`);
  return value;
}

export function die(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}
