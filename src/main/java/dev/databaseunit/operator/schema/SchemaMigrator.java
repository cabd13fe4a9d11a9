package dev.databaseunit.operator.schema;

import java.util.List;
import java.util.SortedMap;
import javax.sql.DataSource;

/** Brings a schema to the versions its scripts define, and says where it is. */
public interface SchemaMigrator {

  /**
   * @param version the latest applied version, null when nothing is applied
   * @param pending migrations resolved from the scripts but not applied
   * @param appliedNow the migrations this run applied, e.g. "V2__consents.sql"
   */
  record SchemaState(String version, int pending, List<String> appliedNow) {}

  /** Why the schema is not where the scripts want it, and where it is. */
  final class MigrationFailure extends Exception {
    public enum Kind { FAILED, INVALID }

    private final Kind kind;
    private final SchemaState state;

    public MigrationFailure(Kind kind, String message, SchemaState state, Throwable cause) {
      super(message, cause);
      this.kind = kind;
      this.state = state;
    }

    public Kind kind() {
      return kind;
    }

    public SchemaState state() {
      return state;
    }
  }

  /** How pending migrations are grouped into transactions. */
  enum Transactions {
    /** Each migration commits on its own: a failure keeps the ones before it (reconcile-time migrations). */
    EACH,
    /** All pending migrations in one transaction: a failure leaves the schema where it was (maintenance windows). */
    ALL_PENDING
  }

  /**
   * Applies what is pending (nothing when the schema is current) and returns where the schema is.
   *
   * @throws MigrationFailure when a migration failed or the applied history does not match the scripts
   */
  SchemaState migrate(DataSource dataSource, String schema, SortedMap<String, MigrationScripts.Script> scripts,
      Transactions transactions) throws MigrationFailure;

  /**
   * Says where the schema is and how much is pending without changing anything: the applied history is validated
   * against the scripts, pending migrations are not an error.
   *
   * @throws MigrationFailure (INVALID) when the applied history does not match the scripts
   */
  SchemaState inspect(DataSource dataSource, String schema, SortedMap<String, MigrationScripts.Script> scripts)
      throws MigrationFailure;
}
