package dev.databaseunit.operator.schema;

import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import java.util.SortedMap;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.MigrationState;
import org.flywaydb.core.api.exception.FlywayValidateException;
import org.flywaydb.core.internal.exception.FlywayMigrateException;
import org.flywaydb.database.postgresql.PostgreSQLConfigurationExtension;
import org.flywaydb.core.internal.sqlscript.FlywaySqlScriptException;

/**
 * Applies a unit's migrations with Flyway. Concurrency: Flyway takes a PostgreSQL advisory lock (polled with
 * pg_try_advisory_lock, held by the session) on the schema history table for the whole run, so two operator replicas (or an operator and a developer's Flyway) never
 * migrate the same schema at once; the second one waits and then finds nothing pending. Failures: PostgreSQL
 * runs each migration in a transaction (DDL included), so a failing one is rolled back and leaves no history
 * row; the schema stays at the last good version and the same script runs again once it is fixed. A script
 * configured with {@code executeInTransaction=false} (a {@code <script>.conf} key; needed for
 * {@code CREATE INDEX CONCURRENTLY}) cannot be rolled back: Flyway records it as failed, and the record is
 * cleared once the script changes (anything it did before failing stays, so such a script should hold one
 * statement, and an index it leaves invalid must be dropped by the fixed script). With
 * {@link Transactions#ALL_PENDING} ({@code group}) all pending migrations share one transaction, so a failure
 * rolls back the ones before it too; Flyway refuses to put a non-transactional script into such a group.
 */
public final class FlywayMigrator implements SchemaMigrator {

  @Override
  public SchemaState migrate(DataSource dataSource, String schema, SortedMap<String, MigrationScripts.Script> scripts,
      Transactions transactions) throws MigrationFailure {
    Flyway flyway = flyway(dataSource, schema, scripts, transactions);
    MigrationInfoService before = flyway.info();
    if (clearFailedRecordOfChangedScript(flyway, before)) {
      before = flyway.info();
    }
    if (before.pending().length == 0) {
      // Nothing to apply; still tell the user when an applied script was edited or removed from the ConfigMaps.
      return validated(flyway);
    }
    try {
      var result = flyway.migrate();
      return state(flyway.info(), result.migrations.stream().map(m -> m.filepath.substring(m.filepath.lastIndexOf('/') + 1)).toList());
    } catch (FlywayValidateException e) {
      throw new MigrationFailure(MigrationFailure.Kind.INVALID, firstLine(e.getMessage()), state(flyway.info(), List.of()), e);
    } catch (FlywayException e) {
      throw new MigrationFailure(MigrationFailure.Kind.FAILED, describe(e), state(flyway.info(), List.of()), e);
    }
  }

  @Override
  public SchemaState inspect(DataSource dataSource, String schema, SortedMap<String, MigrationScripts.Script> scripts)
      throws MigrationFailure {
    return validated(flyway(dataSource, schema, scripts, Transactions.EACH));
  }

  /** Validates the applied history against the scripts (pending ones are ignored) and says where the schema is. */
  private static SchemaState validated(Flyway flyway) throws MigrationFailure {
    var validation = flyway.validateWithResult();
    if (!validation.validationSuccessful) {
      throw new MigrationFailure(MigrationFailure.Kind.INVALID, firstLine(validation.getAllErrorMessages()),
          state(flyway.info(), List.of()), null);
    }
    return state(flyway.info(), List.of());
  }

  private static Flyway flyway(DataSource dataSource, String schema, SortedMap<String, MigrationScripts.Script> scripts,
      Transactions transactions) {
    var configuration = Flyway.configure()
        .dataSource(dataSource)
        .schemas(schema)
        .defaultSchema(schema)
        .createSchemas(true)
        .resourceProvider(new InMemoryResources(scripts))
        .validateMigrationNaming(true)
        // Validation checks what was applied; pending migrations are reported as a count, not as an error.
        .ignoreMigrationPatterns("*:future", "*:pending")
        .group(transactions == Transactions.ALL_PENDING)
        // A schema with tables but no history yet (created by hand or another tool): record it as version 0, so
        // every migration still runs and one that collides with an existing table fails and rolls back.
        .baselineOnMigrate(true)
        .baselineVersion("0")
        // An operator must never be able to wipe a schema.
        .cleanDisabled(true)
        .loggers("slf4j");
    // A session advisory lock instead of one held by an open transaction: CREATE INDEX CONCURRENTLY waits for
    // every open transaction in the database, Flyway's own lock transaction included, and would hang.
    configuration.getConfigurationExtension(PostgreSQLConfigurationExtension.class).setTransactionalLock(false);
    return configuration.load();
  }

  /**
   * A failed record is left only by a script that ran outside a transaction. Once its text in the ConfigMap
   * changed (someone fixed it), the record is removed, as {@code flyway repair} would, so the fixed script
   * runs; while the text is unchanged it stays, and validation reports the failure instead of repeating it.
   * Repair also realigns checksums, so it runs only when every successful migration still matches its script.
   */
  private static boolean clearFailedRecordOfChangedScript(Flyway flyway, MigrationInfoService info) {
    MigrationInfo[] all = info.all();
    boolean failedAndChanged = Arrays.stream(all).anyMatch(m -> m.getState() == MigrationState.FAILED && !m.isChecksumMatching());
    boolean othersMatch = Arrays.stream(all).filter(m -> m.getState() == MigrationState.SUCCESS).allMatch(MigrationInfo::isChecksumMatching);
    if (failedAndChanged && othersMatch) {
      flyway.repair();
      return true;
    }
    return false;
  }

  /** The version of the last successful migration (a failed record is not where the schema is). */
  private static SchemaState state(MigrationInfoService info, List<String> appliedNow) {
    String version = Arrays.stream(info.applied())
        .filter(m -> m.getVersion() != null && !m.getState().isFailed())
        .reduce((first, second) -> second)
        .map(m -> m.getVersion().getVersion())
        .orElse(null);
    return new SchemaState(version, info.pending().length, appliedNow);
  }

  /** The failing script, its line and the server's error, without the statement (it may carry literals). */
  private static String describe(FlywayException e) {
    String script = null;
    int line = -1;
    SQLException sql = null;
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof FlywayMigrateException migrate && script == null && migrate.getMigration() != null) {
        script = migrate.getMigration().getScript();
        line = migrate.getLineNumber();
      }
      if (t instanceof FlywaySqlScriptException scriptException && line <= 0) {
        line = scriptException.getLineNumber();
      }
      if (t instanceof SQLException s) {
        sql = s;
      }
    }
    if (script == null || sql == null) {
      return firstLine(e.getMessage());
    }
    return "Migration " + script + " failed" + (line > 0 ? " at line " + line : "") + ": " + firstLine(sql.getMessage())
        + " (SQL state " + sql.getSQLState() + ")";
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "(no message)";
    }
    String trimmed = message.strip();
    int newline = trimmed.indexOf('\n');
    return newline < 0 ? trimmed : trimmed.substring(0, newline).strip();
  }
}
