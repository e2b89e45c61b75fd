import { describe, expect, it } from 'vitest';
import { redactRecord, redactString } from '../../src/audit/redact.js';

describe('T4.10 redaction', () => {
  it('removes a password= value whole, even when it holds ; or &', () => {
    const text = 'connect failed: host=db password=ab;cd&ef user=deploy';
    expect(redactString(text)).toBe('connect failed: host=db password=*** user=deploy');
    expect(redactRecord({ error: text }, [])).toEqual({ error: 'connect failed: host=db password=*** user=deploy' });
  });

  it("removes the password of a URL's userinfo and keeps the rest", () => {
    expect(redactString('postgres://deploy:s3cret;x@db:5432/shop')).toBe('postgres://deploy:***@db:5432/shop');
  });
});
