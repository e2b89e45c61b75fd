/** Finds every function call anywhere in a PostgreSQL parse tree. */
export function functionCalls(node: unknown): string[] {
  const names: string[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) for (const v of value) visit(v);
    else if (value !== null && typeof value === 'object') {
      for (const [key, v] of Object.entries(value)) {
        if (key === 'FuncCall') {
          const parts = ((v as { funcname?: Array<{ String?: { sval?: string } }> }).funcname ?? []).map((p) => p.String?.sval ?? '');
          const last = parts[parts.length - 1];
          if (last) names.push(last.toLowerCase());
        }
        visit(v);
      }
    }
  };
  visit(node);
  return names;
}
