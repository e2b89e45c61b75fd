export declare function safeMigrations(count: number): Record<string, string>;
export declare const UNSAFE: ReadonlyArray<readonly [string, string, string]>;
