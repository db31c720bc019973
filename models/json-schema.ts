// The model schema as JSON Schema (draft 2020-12), for editors: published as models/system.schema.json
// by `npm run model-schema`, and compared with that file by a test so it cannot go stale.
import { z } from 'zod';
import { SystemModel } from './schema.ts';

/** Where the published schema lives, relative to the repository root. */
export const SCHEMA_FILE = 'models/system.schema.json';

/** The JSON Schema text of a model file (stable: the same schema gives the same text). */
export function modelJsonSchema(): string {
  const schema = z.toJSONSchema(SystemModel, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify({ ...schema, title: 'dsim system model' }, null, 2)}\n`;
}
