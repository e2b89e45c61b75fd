/** Finds every function call anywhere in a PostgreSQL parse tree. */
export function functionCalls(node: unknown): string[] {
  return calls(node).map((c) => c.name);
}

export interface Call {
  /** The function's own name, lower case, without its schema. */
  name: string;
  /** The first argument, when it is a string constant (set_config's setting name, say). */
  firstString?: string;
}

export function calls(node: unknown): Call[] {
  const found: Call[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) for (const v of value) visit(v);
    else if (value !== null && typeof value === 'object') {
      for (const key in value) {
        const v = (value as Record<string, unknown>)[key];
        if (key === 'FuncCall') {
          const call = v as { funcname?: Array<{ String?: { sval?: string } }>; args?: Array<{ A_Const?: { sval?: { sval?: string } } }> };
          const parts = (call.funcname ?? []).map((p) => p.String?.sval ?? '');
          const last = parts[parts.length - 1];
          const first = call.args?.[0]?.A_Const?.sval?.sval;
          if (last) found.push({ name: last.toLowerCase(), ...(first !== undefined && { firstString: first }) });
        }
        visit(v);
      }
    }
  };
  visit(node);
  return found;
}
