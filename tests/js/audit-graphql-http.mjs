// Runs graphql-http's GraphQL-over-HTTP server audit against a live endpoint and prints
// the results as JSON, one object per audit: {id, requirement, name, status, reason}.
// status is "ok", "warn" (a SHOULD or MAY not met), "notice" or "error" (a MUST not met).
// Usage: node audit-graphql-http.mjs http://127.0.0.1:8000/graphql
import { auditServer } from "graphql-http";

const url = process.argv[2];
if (!url) {
  console.error("usage: node audit-graphql-http.mjs URL");
  process.exit(2);
}

const results = await auditServer({ url, fetchFn: fetch });
const report = results.map((result) => ({
  id: result.id,
  requirement: result.name.split(" ", 1)[0],
  name: result.name,
  status: result.status,
  reason: result.status === "ok" ? null : result.reason,
}));
process.stdout.write(JSON.stringify(report, null, 2) + "\n");
