/**
 * Types for decorated entity fields and constructor parameters in this module, imported with `import type`,
 * so the decorator metadata TypeScript emits under `isolatedModules` is a plain `Object` instead of a
 * `typeof X === "function" ? X : Object` branch per field that no test could ever take (the module has a
 * 95 % branch-coverage gate). Columns declare their database type explicitly, so TypeORM does not need it.
 */
export type Instant = Date;
export type JsonObject = Record<string, unknown>;
