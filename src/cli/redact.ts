/**
 * Removes credentials from anything about to be shown: passwords in connection URLs,
 * and `password=` pairs in connection strings.
 */
export function redact(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s]*@/gi, '$1***@')
    .replace(/(password\s*=\s*)('[^']*'|"[^"]*"|\S+)/gi, '$1***');
}
