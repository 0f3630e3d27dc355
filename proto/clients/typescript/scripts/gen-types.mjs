// Generates src/generated/openapi.ts from proto/openapi.yaml with openapi-typescript.
//   node scripts/gen-types.mjs          writes the file
//   node scripts/gen-types.mjs --check  exits 1 when the committed file differs
// One adjustment: the self-referencing nested-list schemas (NestedNumbers,
// NestedInt32) become explicit unions of up to 8 levels (the API's maximum
// rank), because TypeScript rejects a type alias that refers to itself through
// components["schemas"][...] (TS2502).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const spec = here('../../../openapi.yaml');
const out = here('../src/generated/openapi.ts');
const MAX_RANK = 8;

function nested(element) {
  const members = [element()];
  for (let i = 0; i < MAX_RANK; i++) members.push(ts.factory.createArrayTypeNode(members[members.length - 1]));
  return ts.factory.createUnionTypeNode(members);
}

const number = () => ts.factory.createKeywordTypeNode(ts.SyntaxKind.NumberKeyword);
const ast = await openapiTS(new URL(`file://${spec}`), {
  // A member with a default is optional in a request (the daemon fills it in); the echoes
  // list what they always carry under required.
  defaultNonNullable: false,
  transform(_schema, { path }) {
    if (path?.endsWith('/components/schemas/NestedNumbers')) return nested(number);
    if (path?.endsWith('/components/schemas/NestedInt32')) return nested(number);
    return undefined;
  },
});
const text =
  '// Generated from proto/openapi.yaml by scripts/gen-types.mjs (openapi-typescript); do not edit.\n' +
  astToString(ast);

if (process.argv.includes('--check')) {
  if (readFileSync(out, 'utf8') !== text) {
    console.error(`${out} is out of date: run node scripts/gen-types.mjs`);
    process.exit(1);
  }
} else {
  writeFileSync(out, text);
}
