// The shape the README's "Design" section promises, checked on the source so it stays that way: every
// Open311Error is made by a factory of src/errors.ts.
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

const relative = (file: string): string => path.relative(PROJECT_ROOT, file);

describe('source structure', () => {
  it('every Open311Error is made by a factory in src/errors.ts', () => {
    const offending = sourceFiles(SOURCE)
      .filter((file) => file !== path.join(SOURCE, 'errors.ts'))
      .filter((file) => /\bnew\s+Open311Error\s*\(/.test(fs.readFileSync(file, 'utf8')))
      .map(relative);
    expect(offending).to.deep.equal([]);
  });
});
