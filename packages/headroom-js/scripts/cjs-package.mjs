// dist/cjs holds CommonJS: a package.json there tells Node so (the package itself is "type": "module").
import { writeFileSync } from "node:fs";
writeFileSync(new URL("../dist/cjs/package.json", import.meta.url), '{ "type": "commonjs" }\n');
