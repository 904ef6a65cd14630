/**
 * Every TypeORM entity of the application. The migration gate `test/migrations` fails when an entity
 * exists under src/modules but is missing here. Keep alphabetical.
 */
export const ENTITIES: Function[] = [];
