/**
 * Finds a credential in a postgres URL the way the client will read it: user information and
 * query parameters are percent-decoded (repeatedly, and `+` as a space) before they are judged,
 * so `?pass%77ord=` and `u%3Apw@` are seen for what they are. Only where the credential is gets
 * reported, never the credential or the parameter as written, which may hold it. Threat T5.15.
 */

/** Parameter names (lowercase, separators removed) that name a secret; `passfile`, `sslkey` and `sslcert` are paths, not secrets. */
const SECRET_NAME = /password|passwd|passphrase|pwd|secret|token/;
/** A keyword=value connection string, or a URL with a password, inside a parameter's value (libpq reads `dbname` as one). */
const SECRET_IN_VALUE = /(?:password|passwd|passphrase|pwd|secret|token)\s*=|:\/\/[^/?#@]*:[^/?#@]*@/;

/** Where `url` carries a credential, for a message ("in its user information"...), or undefined. */
export function credentialInUrl(url: string): string | undefined {
  const rest = url.slice(url.indexOf('//') + 2);
  const queryAt = rest.search(/[?#]/);
  // Up to the query, so that a password holding '/' or '@' is still seen as one.
  const authority = queryAt < 0 ? rest : rest.slice(0, queryAt);
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    if (userinfo.includes(':')) return 'after the user name (user:password@)';
    if (decoded(userinfo).includes(':')) return 'after the user name, behind a percent-encoded colon';
  }
  if (queryAt < 0) return undefined;
  for (const part of rest.slice(queryAt + 1).split(/[?#&;]/)) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decoded(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decoded(part.slice(eq + 1));
    const key = name.toLowerCase().replace(/[\s_.-]+/g, '');
    const encoded = name !== (eq < 0 ? part : part.slice(0, eq));
    if (SECRET_NAME.test(key) || key === 'pass') return `in a query parameter whose name holds "${secretWord(key)}"${encoded ? ' once percent-decoded' : ''}`;
    if (SECRET_IN_VALUE.test(value.toLowerCase())) return 'inside the value of a query parameter';
  }
  return undefined;
}

/** The secret-naming word in a parameter name, so a message can name it without echoing the rest. */
function secretWord(key: string): string {
  return SECRET_NAME.exec(key)?.[0] ?? 'pass';
}

/** Percent-decodes until nothing changes (a few rounds at most); `+` is a space, as in a query; bad escapes stay as written. */
function decoded(text: string): string {
  let current = text.replace(/\+/g, ' ');
  for (let round = 0; round < 5; round++) {
    const next = current.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    if (next === current) break;
    current = next;
  }
  return current;
}
