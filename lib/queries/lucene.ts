/**
 * Checks one Lucene query string as elastic-recheck sends it to the search cluster
 * (`query_string`): syntax (the `lucene` package's parser), operators the parser silently
 * drops, field names against the log field contract, and a canonical form to find duplicates.
 *
 * Everything here works on the query string alone; positions are 0-based offsets into it, and
 * lib/queries/check.ts maps them to line:column in the YAML file.
 */
import * as lucene from "lucene";
import { LOG_FIELDS, type LogFieldName } from "../field-contract";
import { didYouMean } from "../config/problems";

export interface QueryIssue {
  /** 0-based offset in the query string. */
  readonly offset: number;
  readonly message: string;
  /**
   * `rejected`: the search engine refuses the query, or drops the clause (it then matches
   * nothing); `misleading`: the engine runs it, but not as it reads (a word where an operator was
   * meant, a field no document has, a query of exclusions only). A test holds `rejected` to
   * exactly what OpenSearch's `_validate/query` refuses.
   */
  readonly kind: "rejected" | "misleading";
}

export interface QueryAnalysis {
  readonly issues: readonly QueryIssue[];
  /** The parse tree in a normalized form; equal for queries that differ only in spelling. Absent when the query does not parse. */
  readonly canonical?: string;
  /**
   * The operators joining the top-level terms, normalized (`&&` is `AND`, `||` is `OR`,
   * `<implicit>` is juxtaposition). Absent when the query does not parse.
   */
  readonly topLevelOperators?: readonly string[];
}

/** The words the parser reads as operators (case-sensitive, as in Lucene). */
const OPERATORS = new Set(["AND", "OR", "NOT", "&&", "||"]);
const BINARY_OPERATORS = new Set(["AND", "OR", "&&", "||"]);
const FIELD_NAMES: readonly string[] = Object.keys(LOG_FIELDS);
const isLogField = (name: string): name is LogFieldName => Object.hasOwn(LOG_FIELDS, name);

type Token =
  | { readonly kind: "open" | "close"; readonly offset: number }
  | { readonly kind: "word"; readonly text: string; readonly offset: number };

interface Scan {
  readonly tokens: readonly Token[];
  readonly issues: readonly QueryIssue[];
}

const isSpace = (char: string): boolean => /\s/.test(char);

/**
 * Splits the query into parentheses and words (a word keeps its quoted phrase, regular
 * expression or range, which may contain spaces), and finds unclosed quotes and unbalanced
 * parentheses, whose place the parser reports less precisely.
 */
function scan(query: string): Scan {
  const tokens: Token[] = [];
  const issues: QueryIssue[] = [];
  const openParens: number[] = [];
  let i = 0;
  while (i < query.length) {
    const char = query[i];
    if (isSpace(char)) {
      i += 1;
    } else if (char === "(") {
      tokens.push({ kind: "open", offset: i });
      openParens.push(i);
      i += 1;
    } else if (char === ")") {
      tokens.push({ kind: "close", offset: i });
      if (openParens.pop() === undefined) {
        issues.push({ offset: i, kind: "rejected", message: `Lucene syntax: got ")" without a matching "("; expected "(" before it, or no ")"` });
      }
      i += 1;
    } else {
      const start = i;
      while (i < query.length && !isSpace(query[i]) && query[i] !== "(" && query[i] !== ")") {
        const c = query[i];
        if (c === "\\") {
          if (i + 1 === query.length) {
            issues.push({ offset: i, kind: "rejected", message: `Lucene syntax: "\\" at the end of the query escapes nothing; expected a character after it, or "\\\\" for a backslash` });
          }
          i += 2;
        } else if (c === '"' || (c === "/" && (i === start || query[i - 1] === ":"))) {
          const end = closing(query, i + 1, c);
          if (end < 0) {
            const what = c === '"' ? "phrase" : "regular expression";
            issues.push({ offset: i, kind: "rejected", message: `Lucene syntax: the ${what} that starts here is not closed; expected a closing ${c === '"' ? `'"'` : `"/"`}` });
            i = query.length;
          } else {
            i = end + 1;
          }
        } else if (c === "[" || c === "{") {
          const end = query.slice(i).search(/[\]}]/);
          i = end < 0 ? i + 1 : i + end + 1;
        } else {
          i += 1;
        }
      }
      tokens.push({ kind: "word", text: query.slice(start, i), offset: start });
    }
  }
  for (const offset of openParens) {
    issues.push({ offset, kind: "rejected", message: `Lucene syntax: "(" is not closed; expected a matching ")"` });
  }
  return { tokens, issues };
}

/** The offset of the unescaped `delimiter` closing a phrase or regex that starts at `from`, or -1. */
function closing(query: string, from: number, delimiter: string): number {
  for (let i = from; i < query.length; i += 1) {
    if (query[i] === "\\") i += 1;
    else if (query[i] === delimiter) return i;
  }
  return -1;
}

const isOperator = (token: Token | undefined): token is Token & { kind: "word" } =>
  token?.kind === "word" && OPERATORS.has(token.text);

/**
 * Operators without an operand on one side, which the parser accepts and drops (a trailing
 * `AND`) or turns into search words (`AND)`), two operators in a row, and lowercase operators,
 * which Lucene searches as words.
 */
function operatorIssues(tokens: readonly Token[]): QueryIssue[] {
  const issues: QueryIssue[] = [];
  for (let k = 0; k < tokens.length; k += 1) {
    const token = tokens[k];
    if (token.kind !== "word") continue;
    if (!OPERATORS.has(token.text)) {
      const upper = token.text.toUpperCase();
      if (upper !== token.text && OPERATORS.has(upper)) {
        issues.push({
          offset: token.offset,
          kind: "misleading",
          message: `got ${JSON.stringify(token.text)}, which Lucene searches as a word in the default field; expected the operator ${JSON.stringify(upper)} in capitals`,
        });
      }
      continue;
    }
    const previous = tokens[k - 1];
    const next = tokens[k + 1];
    const operator = JSON.stringify(token.text);
    if (next === undefined || next.kind === "close") {
      const where = next === undefined ? "at the end of the query" : `before ")"`;
      issues.push({
        offset: token.offset,
        kind: "rejected",
        message: `dangling operator ${operator} ${where}; expected a term after it (the search engine refuses the query)`,
      });
    } else if (isOperator(next) && !(BINARY_OPERATORS.has(token.text) && next.text === "NOT")) {
      issues.push({
        offset: token.offset,
        kind: "rejected",
        message: `got ${operator} followed by ${JSON.stringify(next.text)}; expected a term between two operators`,
      });
    } else if (previous === undefined || previous.kind === "open") {
      const where = previous === undefined ? "the query" : "a group";
      const hint = token.text === "NOT" ? ` (write "<terms> AND NOT ...")` : "";
      issues.push({
        offset: token.offset,
        // A leading NOT is valid Lucene (everything but ...), which a bug signature never means.
        kind: token.text === "NOT" ? "misleading" : "rejected",
        message: `operator ${operator} at the start of ${where}; expected a term before it${hint}`,
      });
    }
  }
  return issues;
}

function isSyntaxError(error: unknown): error is lucene.SyntaxError {
  return error instanceof Error && error.name === "SyntaxError" && "location" in error;
}

/** The parser's error in one line: what it found and the gist of what it expected. */
function syntaxMessage(error: lucene.SyntaxError): string {
  const expected = error.expected ?? [];
  const literals = new Set(expected.filter((item) => item.type === "literal").map((item) => item.text));
  const anyCharacter = expected.some((item) => item.type === "any");
  const found = error.found === null ? "the end of the query" : JSON.stringify(error.found);
  let wanted: string;
  if (error.found === null && anyCharacter && literals.has("/")) wanted = `a closing "/" for the regular expression`;
  else if (error.found === null && anyCharacter && literals.has('"')) wanted = `a closing '"' for the phrase`;
  else if (error.found === null && literals.has(")")) wanted = `a closing ")"`;
  else if (literals.has("0.")) wanted = "a number";
  else if (error.found === ":") wanted = `a term after "field:" (quote a value that contains ":")`;
  else if (literals.has('"') || literals.has("(")) wanted = `a term, a "phrase", a (group) or a [range]`;
  else if (literals.has("AND")) wanted = "an operator (AND, OR, NOT) or the end of the query";
  else if (error.found === null) wanted = "the rest of the range, such as [1 TO 5]";
  else wanted = "valid Lucene syntax";
  return `Lucene syntax: got ${found}; expected ${wanted}`;
}

type BinaryNode = lucene.BinaryNode;
type LeafNode = lucene.TermNode | lucene.RangeNode;

const isLeaf = (node: lucene.Node): node is LeafNode => "term" in node || "term_min" in node;
const isRange = (node: lucene.Node): node is lucene.RangeNode => "term_min" in node;

/** Unknown field names (with did-you-mean), and values that a whole-number field cannot hold. */
function fieldIssues(node: lucene.Node, groupField?: string): QueryIssue[] {
  if (!isLeaf(node)) {
    const own = node.field ? fieldNameIssues(node.field, node.fieldLocation ?? null) : [];
    const field = node.field ?? groupField;
    return [
      ...own,
      ...(node.left ? fieldIssues(node.left, field) : []),
      ...(node.right ? fieldIssues(node.right, field) : []),
    ];
  }
  const values = isRange(node) ? [node.term_min, node.term_max] : [node.term];
  const valueOffset = isRange(node) ? (node.fieldLocation?.start.offset ?? 0) : node.termLocation.start.offset;
  if (node.field === "<implicit>") {
    return [...regexIssues(node), ...(groupField === undefined ? [] : valueIssues(bareField(groupField), values, valueOffset))];
  }
  const nameIssues = fieldNameIssues(node.field, node.fieldLocation);
  if (nameIssues.length > 0) return nameIssues;
  const name = bareField(node.field);
  if (name === "_exists_") {
    return isLogField(values[0]) ? [] : [{ offset: valueOffset, kind: "misleading", message: `_exists_:${values[0]} names an unknown field${expectedField(values[0])}` }];
  }
  return [...regexIssues(node), ...valueIssues(name, values, valueOffset)];
}

/** The parser reads `-build_name:x` as the field "-build_name"; the sign is Lucene's prefix operator. */
const bareField = (field: string): string => field.replace(/^[+!-]/, "");

function fieldNameIssues(rawName: string, location: lucene.Location | null): QueryIssue[] {
  const name = bareField(rawName);
  if (name === "_exists_" || isLogField(name)) return [];
  const offset = (location?.start.offset ?? 0) + (rawName.length - name.length);
  return [{ offset, kind: "misleading", message: `unknown field ${JSON.stringify(name)}${expectedField(name)}` }];
}

function expectedField(name: string): string {
  return didYouMean(name, FIELD_NAMES) || `; expected one of the log fields (lib/field-contract.ts): ${FIELD_NAMES.join(", ")}`;
}

/** A whole number, `*`, or query_string's one-sided range `>5`, `<=5`. */
const WHOLE_NUMBER = /^(?:[<>]=?)?-?\d+$|^\*$/;
/**
 * What OpenSearch reads as a date (strict_date_optional_time or epoch_millis), date math from
 * `now` or from a date (`2024-05-01||+1d`), or `*`; optionally after `>`, `<=`, ...
 */
const DATE_VALUE =
  /^(?:[<>]=?)?(?:\*|-?\d+|(?:now|\d{4}(?:-\d{2}(?:-\d{2}(?:T\d{2}(?::\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?)?)?(?:\|\|)?)(?:[+-]\d+[yMwdhHms])*(?:\/[yMwdhHms])?)$/;

/** Values a field's type cannot hold: the engine drops the clause (it matches nothing) rather than fail. */
function valueIssues(field: string, values: readonly string[], offset: number): QueryIssue[] {
  if (!isLogField(field)) return [];
  const type = LOG_FIELDS[field].type;
  if (type === "integer") {
    const bad = values.find((value) => !WHOLE_NUMBER.test(value));
    if (bad !== undefined) {
      return [{ offset, kind: "rejected", message: `field ${JSON.stringify(field)} holds whole numbers; got ${JSON.stringify(bad)}; expected a whole number, such as ${field}:1` }];
    }
  } else if (type === "date") {
    const bad = values.find((value) => !DATE_VALUE.test(value));
    if (bad !== undefined) {
      return [{ offset, kind: "rejected", message: `field ${JSON.stringify(field)} holds dates; got ${JSON.stringify(bad)}; expected a date such as 2024-05-14 or 2024-05-14T10:21:33Z, or date math such as now-1d` }];
    }
  }
  return [];
}

/** A regular expression the engine cannot compile: it drops the clause. Lucene's syntax is close enough to JavaScript's for this. */
function regexIssues(node: LeafNode): QueryIssue[] {
  if (isRange(node) || !node.regex) return [];
  try {
    new RegExp(node.term.replaceAll(ESCAPE_STAND_IN, "\\"));
    return [];
  } catch (error) {
    const reason = (error as Error).message.replace(/^Invalid regular expression: /, "");
    return [{ offset: node.termLocation.start.offset, kind: "rejected", message: `the regular expression /${node.term}/ does not compile (${reason}); expected a valid regular expression` }];
  }
}

const normalizeOperator = (operator: string): string => (operator === "&&" ? "AND" : operator === "||" ? "OR" : operator);

/** The operands and operators of a chain `a OP b OP c`, which the parser nests to the right. */
function chain(node: BinaryNode): { operands: lucene.Node[]; operators: string[] } {
  const operands: lucene.Node[] = [];
  const operators: string[] = [];
  let current: BinaryNode = node;
  for (;;) {
    if (current.left) operands.push(current.left);
    if (!current.operator || !current.right) break;
    operators.push(normalizeOperator(current.operator));
    const right = current.right;
    if (!isLeaf(right) && !right.parenthesized && right.field === undefined && right.start === undefined && right.left) {
      current = right;
    } else {
      operands.push(right);
      break;
    }
  }
  return { operands, operators };
}

/**
 * A form of the parse tree that ignores positions, spacing, the spelling of operators (`&&` is
 * `AND`), quotes around a single word, redundant parentheses and the order of the terms of a
 * chain joined by one operator (AND or OR), which are commutative.
 */
function canonical(node: lucene.Node): unknown {
  if (isRange(node)) return ["range", node.field, node.term_min, node.term_max, node.inclusive];
  if (isLeaf(node)) {
    // `-f:x`, `f:-x` and `f:!x` are the same clause; quotes around one word change nothing.
    const sign = /^[+!-]/.exec(node.field)?.[0] ?? node.prefix ?? null;
    const term = node.regex ? `/${node.term}/` : !node.quoted && /[*?]/.test(node.term) ? `~${node.term}` : node.term;
    return ["term", bareField(node.field), term, sign === "!" ? "-" : sign, node.boost ?? null, node.proximity ?? null, node.similarity ?? null];
  }
  const { operands, operators } = chain(node);
  let form: unknown;
  if (operands.length === 0) {
    form = ["empty"];
  } else if (operands.length === 1) {
    form = canonical(operands[0]);
  } else if (new Set(operators).size === 1 && (operators[0] === "AND" || operators[0] === "OR")) {
    const op = operators[0];
    const members = operands.flatMap((operand) => {
      const form = canonical(operand);
      return Array.isArray(form) && form[0] === op ? (form.slice(1) as unknown[]) : [form];
    });
    form = [op, ...members.map((member) => JSON.stringify(member)).sort().map((member) => JSON.parse(member) as unknown)];
  } else {
    form = ["sequence", ...operands.flatMap((operand, index) => (index === 0 ? [canonical(operand)] : [operators[index - 1], canonical(operand)]))];
  }
  if (node.start) form = ["start", normalizeOperator(node.start), form];
  if (node.field) form = ["group", node.field, form];
  return form;
}

/** Stands for the backslash of an escape the `lucene` package does not know (see parsableEscapes). */
const ESCAPE_STAND_IN = "\uE000";
/** The characters after a backslash that the `lucene` package's grammar accepts. */
const PARSER_ESCAPES = new Set([..."+-!(){}[]^\"?:\\&|'/~* "]);

/**
 * Lucene (and OpenSearch's query_string) accepts a backslash before any character, in terms,
 * phrases and regular expressions (`message:"\nNo matching distribution"`); the `lucene`
 * package only before its listed special characters. The others get a private-use stand-in for
 * the backslash, which keeps every offset and makes no two queries alike that were not.
 */
function parsableEscapes(query: string): string {
  return query.replace(/\\([\s\S])/g, (escape, char: string) => (PARSER_ESCAPES.has(char) ? escape : `${ESCAPE_STAND_IN}${char}`));
}

/** Checks one query string; never throws on bad input. */
export function analyzeQuery(query: string): QueryAnalysis {
  const { tokens, issues: structural } = scan(query);
  if (structural.length > 0) return { issues: structural };
  let tree: lucene.Node;
  try {
    tree = lucene.parse(parsableEscapes(query));
  } catch (error) {
    if (!isSyntaxError(error)) throw error;
    return { issues: [{ offset: error.location.start.offset, kind: "rejected", message: syntaxMessage(error) }] };
  }
  const issues = [...operatorIssues(tokens), ...fieldIssues(tree)].sort((a, b) => a.offset - b.offset);
  const topLevelOperators = isLeaf(tree) ? [] : chain(tree).operators;
  return { issues, canonical: JSON.stringify(canonical(tree)), topLevelOperators };
}

/**
 * The offset of the first top-level operator other than AND (where `AND voting:1` appended to
 * the query would change its meaning), or 0 when the terms are only juxtaposed.
 */
export function firstLooseOperatorOffset(query: string): number {
  let depth = 0;
  const { tokens } = scan(query);
  for (let k = 0; k < tokens.length; k += 1) {
    const token = tokens[k];
    if (token.kind === "open") depth += 1;
    else if (token.kind === "close") depth -= 1;
    else if (depth === 0 && isOperator(token) && normalizeOperator(token.text) !== "AND") {
      const previous = tokens[k - 1];
      const afterAnd = token.text === "NOT" && isOperator(previous) && normalizeOperator(previous.text) === "AND";
      if (!afterAnd) return token.offset;
    }
  }
  return 0;
}
