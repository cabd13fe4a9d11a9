package dev.databaseunit.operator.maintenance;

import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowSpec.Task;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Flyway migrate of the unit's ConfigMap migrations. All pending migrations run in one transaction
 * ({@code group}): PostgreSQL's DDL is transactional, so a failing migration leaves the schema at the version it
 * had before the task. Committed migrations are not undone by a later task's failure (Flyway has no free undo).
 */
public final class SchemaUpdateTask implements MaintenanceTask {

  @Override
  public Task kind() {
    return Task.SchemaUpdate;
  }

  @Override
  public String run(Target target) throws IOException {
    if (target.migrations().isEmpty()) {
      return "no migrations declared (spec.migrations)";
    }
    Path dir = Files.createTempDirectory("databaseunit-migrations");
    try {
      for (Map.Entry<String, String> file : target.migrations().entrySet()) {
        // Names come from ConfigMap keys; keep only the file name so a key cannot point outside the directory.
        Files.writeString(dir.resolve(Path.of(file.getKey()).getFileName().toString()), file.getValue());
      }
      Flyway flyway = Flyway.configure()
          .dataSource(target.direct())
          .locations("filesystem:" + dir)
          .schemas(target.schema())
          .group(true)
          // A schema with tables but no history yet (created by hand or another tool): record it as version 0, so
          // every migration still runs and one that collides with an existing table fails and rolls back.
          .baselineOnMigrate(true)
          .baselineVersion("0")
          .cleanDisabled(true)
          .load();
      String before = currentVersion(flyway);
      MigrateResult result = flyway.migrate();
      return result.migrationsExecuted == 0
          ? "schema already at version " + before
          : "migrated from version " + before + " to " + result.targetSchemaVersion + " (" + result.migrationsExecuted + " migrations)";
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static String currentVersion(Flyway flyway) {
    var current = flyway.info().current();
    return current == null || current.getVersion() == null ? "none" : current.getVersion().getVersion();
  }

  @Override
  public String rollback(Target target) {
    return "the migration transaction was rolled back by PostgreSQL; committed migrations are kept";
  }
}
