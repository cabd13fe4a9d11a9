package dev.databaseunit.operator.vector;

import dev.databaseunit.operator.postgres.SqlIdentifier;

/**
 * A table as named in a spec ({@code recipes} or {@code app.recipes}) resolved against the catalog.
 *
 * @param schema the schema the table was found in
 */
public record VectorTable(String schema, String table, long oid) {

  /** {@code "schema"."table"}, for statements. */
  public String quoted() {
    return SqlIdentifier.quote(schema) + "." + SqlIdentifier.quote(table);
  }

  /** An index name qualified with the table's schema (indexes live in their table's schema), quoted. */
  public String quotedIndex(String indexName) {
    return SqlIdentifier.quote(schema) + "." + SqlIdentifier.quote(indexName);
  }
}
