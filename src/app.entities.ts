import { AppModule } from './app.module';
import { registeredEntities } from './database/entity-registry';

// Loading AppModule loads every feature module, each registering its entities (DatabaseModule.forFeature).
void AppModule;

/** Every entity of the application, for tools that build a DataSource without Nest (migrations CLI, gates). */
export const ENTITIES: Function[] = registeredEntities();
