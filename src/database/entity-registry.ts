// Collected when the module files load, so the DataSource built afterwards knows them without the database
// layer importing any module.
const registered = new Set<Function>();

export function registerEntities(entities: readonly Function[]): void {
  for (const entity of entities) registered.add(entity);
}

export function registeredEntities(): Function[] {
  return [...registered].sort((a, b) => a.name.localeCompare(b.name));
}
