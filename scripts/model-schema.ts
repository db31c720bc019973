// Writes models/system.schema.json from the zod schema (run after changing models/schema.ts).
import { writeFileAtomic } from '../reports/atomic-write.ts';
import { modelJsonSchema, SCHEMA_FILE } from '../models/json-schema.ts';

await writeFileAtomic(SCHEMA_FILE, modelJsonSchema());
process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
