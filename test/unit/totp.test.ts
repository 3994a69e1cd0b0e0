// RFC 6238 Appendix B test vectors (SHA-1, 8 digits, the 20-byte ASCII secret), RFC 4226 Appendix D HOTP
// values, and the verification rules (drift window, no replay).
import { expect } from 'chai';
import { base32Decode, base32Encode, hotp, totp, verifyTotp, stepAt } from '../../src/domain/totp.js';

const SECRET = Buffer.from('12345678901234567890', 'ascii');

describe('TOTP (RFC 6238) and HOTP (RFC 4226)', () => {
  it('matches the RFC 6238 SHA-1 test vectors', () => {
    const vectors: Array<[number, string]> = [
      [59, '94287082'],
      [1111111109, '07081804'],
      [1111111111, '14050471'],
      [1234567890, '89005924'],
      [2000000000, '69279037'],
      [20000000000, '65353130'],
    ];
    for (const [time, code] of vectors) expect(totp(SECRET, time, 8), `T=${time}`).to.equal(code);
  });

  it('matches the RFC 6238 SHA-256 and SHA-512 vectors (their longer seeds)', () => {
    const seed256 = Buffer.from('12345678901234567890123456789012', 'ascii');
    const seed512 = Buffer.from('1234567890123456789012345678901234567890123456789012345678901234', 'ascii');
    expect(totp(seed256, 59, 8, 'sha256')).to.equal('46119246');
    expect(totp(seed512, 59, 8, 'sha512')).to.equal('90693936');
    expect(totp(seed256, 1111111109, 8, 'sha256')).to.equal('68084774');
    expect(totp(seed512, 20000000000, 8, 'sha512')).to.equal('47863826');
  });

  it('matches the RFC 4226 HOTP values', () => {
    const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
    for (const [counter, code] of expected.entries()) expect(hotp(SECRET, counter)).to.equal(code);
  });

  it('base32 round-trips (the form authenticator apps read)', () => {
    expect(base32Encode(SECRET)).to.equal('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(base32Decode('GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ').equals(SECRET)).to.equal(true);
  });

  it('accepts the current code and one step of drift, refuses others and replays', () => {
    const secret = base32Encode(SECRET);
    const now = 1_700_000_000;
    const current = totp(SECRET, now);
    expect(verifyTotp(secret, current, now)).to.equal(stepAt(now));
    expect(verifyTotp(secret, totp(SECRET, now - 30), now)).to.equal(stepAt(now) - 1);
    expect(verifyTotp(secret, totp(SECRET, now + 30), now)).to.equal(stepAt(now) + 1);
    expect(verifyTotp(secret, totp(SECRET, now - 90), now)).to.equal(undefined);
    expect(verifyTotp(secret, current, now, stepAt(now))).to.equal(undefined);
    expect(verifyTotp(secret, 'abcdef', now)).to.equal(undefined);
  });
});
