/**
 * elastic-recheck bug queries (`config/queries/<launchpad bug number>.yaml`): the file model and
 * its JSON Schema, the checks behind `npm run check-queries`, and the query the bot really runs.
 */
export { checkQueries, loadQueries, type BugQuery, type QueryCheck, type QueryProblem } from "./check";
export { analyzeQuery, type QueryAnalysis, type QueryIssue } from "./lucene";
export { QUERY_FILE_KEYS, QUERY_JSON_SCHEMA_FILE, queryFileSchema, renderQueryJsonSchema, type QueryFile } from "./schema";
