/**
 * The part of the `lucene` package (a PEG.js Lucene query parser, no bundled types) that
 * lib/queries uses. Shapes written from the package's grammar (lib/lucene.grammar).
 */
declare module "lucene" {
  /** A place in the query string; `offset` is 0-based, `line` and `column` 1-based. */
  export interface Position {
    offset: number;
    line: number;
    column: number;
  }

  export interface Location {
    start: Position;
    end: Position;
  }

  /** `field:term`, `field:"a phrase"` or `field:/regex/`; `field` is "<implicit>" for the default field. */
  export interface TermNode {
    field: string;
    fieldLocation: Location | null;
    term: string;
    termLocation: Location;
    quoted: boolean;
    regex: boolean;
    prefix?: string | null;
    boost?: number | null;
    similarity?: number | null;
    proximity?: number | null;
  }

  /** `field:[min TO max]` and the exclusive or mixed forms. */
  export interface RangeNode {
    field: string;
    fieldLocation: Location | null;
    term_min: string;
    term_max: string;
    inclusive: "both" | "none" | "left" | "right";
  }

  /**
   * A (possibly one-sided) binary expression. `start` is an operator found before the first
   * operand; `field` is set for a field group such as `tags:(a OR b)`. The empty query parses
   * to `{}`, and a query made of one operator to `{ operator }`.
   */
  export interface BinaryNode {
    start?: string;
    left?: Node;
    operator?: string;
    right?: Node;
    parenthesized?: boolean;
    field?: string;
    fieldLocation?: Location | null;
  }

  export type Node = TermNode | RangeNode | BinaryNode;

  export interface ExpectedItem {
    type: "literal" | "class" | "any" | "end" | "other";
    text?: string;
    description?: string;
  }

  /** What `parse` throws (PEG.js `peg$SyntaxError`). */
  export interface SyntaxError extends Error {
    name: "SyntaxError";
    expected: ExpectedItem[] | null;
    found: string | null;
    location: Location;
  }

  export function parse(query: string): Node;
  export function toString(node: Node): string;
}
