import { expect } from 'chai';
import { hashPassword, needsRehash, passwordProblem, verifyPassword } from '../../src/domain/passwords.js';

describe('password hashing (scrypt with per-hash parameters)', () => {
  it('verifies the right password only, and each hash carries its parameters and salt', async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(hash).to.match(/^scrypt\$32768\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(await verifyPassword('correct horse battery staple', hash)).to.equal(true);
    expect(await verifyPassword('correct horse battery stapl', hash)).to.equal(false);
    expect(await hashPassword('correct horse battery staple')).to.not.equal(hash);
    expect(needsRehash(hash)).to.equal(false);
  });

  it('verifies hashes made with other parameters, and says they need re-hashing', async () => {
    const cheap = await hashPassword('an older password here', { N: 1024, r: 8, p: 1 });
    expect(cheap.startsWith('scrypt$1024$8$1$')).to.equal(true);
    expect(await verifyPassword('an older password here', cheap)).to.equal(true);
    expect(needsRehash(cheap)).to.equal(true);
    expect(await verifyPassword('x', 'scrypt$3$8$1$abc$def')).to.equal(false);
    expect(await verifyPassword('x', 'plain')).to.equal(false);
  });

  it('needs at least 12 characters', () => {
    expect(passwordProblem('elevenchars')).to.match(/at least 12/);
    expect(passwordProblem('twelve chars')).to.equal(undefined);
  });
});
