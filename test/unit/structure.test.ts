// The shape the README's "Design" section promises, checked on the source so it stays that way: the domain
// never reaches up into the HTTP or validation layers, and every Open311Error is made by a factory of
// src/errors.ts.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { PROJECT_ROOT } from '../../src/project-root.js';

const SOURCE = path.join(PROJECT_ROOT, 'src');

function sourceFiles(directory: string): string[] {
  return fs.readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every module specifier a file imports or re-exports (static, type-only and dynamic). */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const specifiers: string[] = [];
  for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]/g))
    specifiers.push(match[1]!);
  for (const match of text.matchAll(/(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)) specifiers.push(match[1]!);
  for (const match of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) specifiers.push(match[1]!);
  return specifiers;
}

const relative = (file: string): string => path.relative(PROJECT_ROOT, file);

describe('source structure', () => {
  it('src/domain imports nothing from src/http or src/validate', () => {
    const domain = path.join(SOURCE, 'domain');
    const offending: string[] = [];
    for (const file of sourceFiles(domain)) {
      for (const specifier of importsOf(file)) {
        if (!specifier.startsWith('.')) continue;
        const target = path.resolve(path.dirname(file), specifier);
        for (const layer of ['http', 'validate']) {
          const root = path.join(SOURCE, layer);
          if (target === root || target.startsWith(`${root}${path.sep}`)) offending.push(`${relative(file)} → ${specifier}`);
        }
      }
    }
    expect(offending).to.deep.equal([]);
  });

  it('finds the imports it checks (the check above is not vacuous)', () => {
    const specifiers = importsOf(path.join(SOURCE, 'http', 'handlers.ts'));
    expect(specifiers.some((specifier) => specifier.includes('/domain/'))).to.equal(true);
    expect(sourceFiles(path.join(SOURCE, 'domain')).length).to.be.greaterThan(10);
  });

  it('every Open311Error is made by a factory in src/errors.ts', () => {
    const offending = sourceFiles(SOURCE)
      .filter((file) => file !== path.join(SOURCE, 'errors.ts'))
      .filter((file) => /\bnew\s+Open311Error\s*\(/.test(fs.readFileSync(file, 'utf8')))
      .map(relative);
    expect(offending).to.deep.equal([]);
  });
});
