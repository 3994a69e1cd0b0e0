// The input types are made from spec/schemas (src/validate/schema-types.ts): a schema change must come with
// the regenerated src/types/generated.ts, or this fails.
import fs from 'node:fs';
import { expect } from 'chai';
import type { StatsInput } from '../../src/types/generated.js';
import { GENERATED_TYPES_FILE, generateTypes, INPUT_SCHEMAS, typeNameOf } from '../../src/validate/schema-types.js';

describe('types generated from spec/schemas', () => {
  it('src/types/generated.ts is what the schemas make (run `npx tsx src/validate/schema-types.ts`)', () => {
    expect(fs.readFileSync(GENERATED_TYPES_FILE, 'utf8')).to.equal(generateTypes());
  });

  it('names one type per input schema, with the fields and requirements of the schema', () => {
    const text = generateTypes();
    for (const file of INPUT_SCHEMAS) expect(text).to.include(`export type ${typeNameOf(file)} = `);
    // Spot checks that the shape follows the schema: required stays required, enums become unions.
    expect(text).to.match(/export type CreateRequestInput = Validated<\{[\s\S]*?\n {2}service_code: string;/);
    expect(text).to.match(/export type CreateRequestInput = Validated<\{[\s\S]*?\n {2}lat\?: number;/);
    expect(text).to.include('status?: Array<"open" | "closed">;');
  });

  it('a raw query object is not a checked input (the domain gets only what src/validate made)', () => {
    const raw: Record<string, unknown> = { jurisdiction_id: 'somewhere' };
    // @ts-expect-error: only src/validate/inputs.ts makes a StatsInput (npm run typecheck fails without the mark)
    const unchecked: StatsInput = raw;
    expect(unchecked).to.equal(raw);
  });
});
