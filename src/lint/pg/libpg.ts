/**
 * libpg_query, PostgreSQL's own parser compiled to WebAssembly, loaded when a module that
 * parses PostgreSQL is first initialised rather than when a command's file is loaded.
 * Compiling the WebAssembly costs about 100 ms of CPU, which a command that never reads
 * PostgreSQL SQL (an apply to SQLite, say) does not pay: imported statically, the package
 * would be loaded and compiled with the command's file, whatever the command then does.
 */
const libpg = await import('libpg-query');
await libpg.loadModule();

export const { parseSync, scanSync, parsePlPgSQLSync } = libpg;
