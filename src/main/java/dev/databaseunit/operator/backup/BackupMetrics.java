package dev.databaseunit.operator.backup;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Metrics of one BackupPolicy, tagged namespace/unit/policy: {@code databaseunit_backup_*} for backups and
 * {@code databaseunit_restore_test_*} for restore tests (seconds, bytes, 0/1 for met/passed).
 */
final class BackupMetrics {
  private final MeterRegistry registry;
  private final Tags tags;
  private final List<Meter> meters = new ArrayList<>();
  private final AtomicReference<Double> lastSuccess = new AtomicReference<>(Double.NaN);
  private final AtomicReference<Double> lastSize = new AtomicReference<>(Double.NaN);
  private final AtomicReference<Double> retained = new AtomicReference<>(Double.NaN);
  private final AtomicReference<Double> restoreSeconds = new AtomicReference<>(Double.NaN);
  private final AtomicReference<Double> restorePassed = new AtomicReference<>(Double.NaN);
  private final AtomicReference<Double> rtoMet = new AtomicReference<>(Double.NaN);
  private final AtomicReference<Double> rpoMet = new AtomicReference<>(Double.NaN);
  private final AtomicReference<Double> backupAge = new AtomicReference<>(Double.NaN);
  private final AtomicReference<Double> rpoTarget = new AtomicReference<>(Double.NaN);
  private final AtomicReference<Double> rtoTarget = new AtomicReference<>(Double.NaN);

  BackupMetrics(MeterRegistry registry, String namespace, String unit, String policy) {
    this.registry = registry;
    this.tags = Tags.of("namespace", namespace, "unit", unit, "policy", policy);
    gauge("databaseunit.backup.last.success.timestamp.seconds", "End of the newest good backup (epoch seconds)", lastSuccess);
    gauge("databaseunit.backup.last.size.bytes", "Stored size of the newest backup", lastSize);
    gauge("databaseunit.backup.retained", "Good backups kept, all tiers", retained);
    gauge("databaseunit.restore.test.recovery.seconds", "Measured recovery time of the last restore test", restoreSeconds);
    gauge("databaseunit.restore.test.passed", "1 when the last restore test passed every check", restorePassed);
    gauge("databaseunit.restore.test.rto.met", "1 when the last restore test recovered within the RTO", rtoMet);
    gauge("databaseunit.restore.test.rpo.met", "1 when the tested backup was younger than the RPO", rpoMet);
    gauge("databaseunit.restore.test.backup.age.seconds", "Age of the backup the last restore test restored", backupAge);
    gauge("databaseunit.backup.rpo.target.seconds", "The policy's recovery point objective", rpoTarget);
    gauge("databaseunit.backup.rto.target.seconds", "The policy's recovery time objective", rtoTarget);
  }

  /** The policy's objectives, so alerts compare backup age and recovery time with them. */
  void targets(Duration rpo, Duration rto) {
    rpoTarget.set((double) rpo.toSeconds());
    rtoTarget.set((double) rto.toSeconds());
  }

  private void gauge(String name, String description, AtomicReference<Double> value) {
    meters.add(Gauge.builder(name, value, AtomicReference::get).description(description).tags(tags).register(registry));
  }

  /** @param retainedCount null when the housekeeping could not list the backups */
  private void backupSucceeded(BackupManifest manifest, Integer retainedCount) {
    Timer timer = Timer.builder("databaseunit.backup.duration").description("Duration of successful backups")
        .tags(tags).tag("tier", manifest.tier().name().toLowerCase(java.util.Locale.ROOT)).register(registry);
    meters.add(timer);
    timer.record(Duration.between(manifest.startTime(), manifest.endTime()));
    lastSuccess.set(manifest.endTime().toEpochMilli() / 1000.0);
    lastSize.set((double) manifest.storedBytes());
    retained(retainedCount);
  }

  private void retained(Integer count) {
    if (count != null) {
      retained.set((double) count);
    }
  }

  /** The metrics of one finished piece of work. A restore test with nothing to test yet is no failure: it counts nothing. */
  void record(BackupOutcome outcome) {
    switch (outcome) {
      case BackupOutcome.BackedUp done -> backupSucceeded(done.manifest(), done.housekeeping().retained());
      case BackupOutcome.Housekept housekept -> retained(housekept.housekeeping().retained());
      case BackupOutcome.BackupFailed failed -> backupFailed();
      case BackupOutcome.RestoreTested tested -> restoreTested(tested.result());
      case BackupOutcome.RestoreTestNotRun notRun -> restoreTestCouldNotRun();
      case BackupOutcome.Interrupted interrupted -> { }
      case BackupOutcome.NothingToTest nothing -> { }
    }
  }

  private void backupFailed() {
    count("databaseunit.backup.failures", "Backups that failed");
  }

  void missed(int fires) {
    if (fires == 0) {
      return;
    }
    Counter counter = Counter.builder("databaseunit.backup.missed").description("Scheduled fires that did not run in their window")
        .tags(tags).register(registry);
    meters.add(counter);
    counter.increment(fires);
  }

  private void restoreTested(RestoreTester.Result result) {
    restoreSeconds.set(result.recoveryTime().toMillis() / 1000.0);
    restorePassed.set(result.passed() ? 1.0 : 0.0);
    rtoMet.set(result.rtoMet() ? 1.0 : 0.0);
    rpoMet.set(result.rpoMet() ? 1.0 : 0.0);
    backupAge.set((double) result.backupAge().toSeconds());
    count(result.passed() ? "databaseunit.restore.test.passes" : "databaseunit.restore.test.failures",
        "Restore tests by outcome");
  }

  /** No restore test could run (storage unreachable, a broken backup catalog): counts as failed. */
  private void restoreTestCouldNotRun() {
    restorePassed.set(0.0);
    count("databaseunit.restore.test.failures", "Restore tests by outcome");
  }

  private void count(String name, String description) {
    Counter counter = Counter.builder(name).description(description).tags(tags).register(registry);
    meters.add(counter);
    counter.increment();
  }

  void remove() {
    meters.forEach(registry::remove);
  }
}
