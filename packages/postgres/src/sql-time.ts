// Times cross between JavaScript (milliseconds since the epoch) and PostgreSQL (`timestamptz`)
// only through these two, so every store reads and writes them alike.

/**
 * A time column read as bigint milliseconds since the epoch, under its own name (exact: the
 * stores' times are whole milliseconds). Read back with `Number`, so a host that changed
 * node-postgres's type parsers for timestamptz or bigint gets the same values.
 */
export const msColumn = (column: string) => `(extract(epoch FROM ${column}) * 1000)::int8 AS ${column}`;

/** A parameter of milliseconds since the epoch as a timestamptz (null stays null), exactly. */
export const msParam = (n: number) => `'epoch'::timestamptz + $${n}::float8 * interval '1 millisecond'`;
