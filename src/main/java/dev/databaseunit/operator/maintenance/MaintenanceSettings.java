package dev.databaseunit.operator.maintenance;

import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowSpec.Task;
import dev.databaseunit.operator.schema.FlywayMigrator;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How maintenance runs in this operator process.
 *
 * @param identity this process as a holder of units' maintenance Leases (host name plus a random suffix: a restarted
 *     process is a new holder and waits for the old lease to expire, unless it ran the run itself)
 * @param leaseDuration how long a unit's Lease outlives a holder that stopped renewing it; the time a crashed
 *     operator's paused database waits before another instance resumes it
 */
public record MaintenanceSettings(String identity, Duration leaseDuration, DrainPoints drainPoints,
    Map<Task, MaintenanceTask> tasks) {
  static final String LEASE_SECONDS_PROPERTY = "databaseunit.maintenance.leaseSeconds";

  public static MaintenanceSettings defaults() {
    byte[] suffix = new byte[3];
    ThreadLocalRandom.current().nextBytes(suffix);
    String host = System.getenv().getOrDefault("HOSTNAME", "operator");
    Duration lease = Duration.ofSeconds(Long.getLong(LEASE_SECONDS_PROPERTY, 30));
    Map<Task, MaintenanceTask> tasks = new EnumMap<>(Task.class);
    for (MaintenanceTask task : List.of(new SchemaUpdateTask(new FlywayMigrator()), new OptimizeIndexesTask(), new UpdateStatisticsTask(),
        new ValidateIntegrityTask(), new UpgradeTask())) {
      tasks.put(task.kind(), task);
    }
    return new MaintenanceSettings(host + "-" + HexFormat.of().formatHex(suffix), lease, PgBouncerDrainPoint::new, Map.copyOf(tasks));
  }
}
