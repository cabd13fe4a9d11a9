package dev.databaseunit.operator.maintenance;

import dev.databaseunit.operator.api.v1alpha1.ApiDurations;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicy;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus.OnDemandRequest;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowStatus.BackupRequest;
import dev.databaseunit.operator.backup.OnDemand;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.events.EventRecorder;
import dev.databaseunit.operator.postgres.DatabaseFailures;
import dev.databaseunit.operator.status.Conditions;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * What a run checks before it drains: the unit is Ready, a recent enough backup exists (or is asked for and waited on),
 * and the database answers. Nothing is paused yet, so a failure here ends the run without touching traffic.
 */
final class Prechecks {
  /** How often a run waiting for a requested backup looks at the BackupPolicy. */
  static final Duration BACKUP_POLL = Duration.ofSeconds(1);

  private final MaintenanceRun.Services services;
  private final RunRecord record;
  private final DatabaseUnit unit;
  private final BooleanSupplier leaseLost;

  Prechecks(MaintenanceRun.Services services, RunRecord record, DatabaseUnit unit, BooleanSupplier leaseLost) {
    this.services = services;
    this.record = record;
    this.unit = unit;
    this.leaseLost = leaseLost;
  }

  void check(UnitAccess access) throws RunFailure, InterruptedException {
    var prechecks = record.spec().prechecks();
    String unitName = record.run().unit();
    if (prechecks == null || !Boolean.FALSE.equals(prechecks.requireReady())) {
      var status = unit.getStatus();
      if (status == null || !Conditions.isTrue(status.conditions(), Conditions.READY)) {
        var ready = status == null ? null : Conditions.find(status.conditions(), Conditions.READY);
        throw new RunFailure(EventReason.MaintenancePrecheckFailed, "unit " + unitName + " is not Ready"
            + (ready != null ? " (" + ready.getReason() + ": " + ready.getMessage() + ")" : ""));
      }
    }
    if (prechecks == null || !Boolean.FALSE.equals(prechecks.requireBackup())) {
      String within = prechecks != null && prechecks.requireBackupWithin() != null ? prechecks.requireBackupWithin() : "24h";
      Duration maxAge = ApiDurations.parse(within);
      Optional<Instant> newest = newestBackup();
      boolean recent = newest.isPresent() && !newest.get().isBefore(services.clock().instant().minus(maxAge));
      Optional<BackupPolicy> policy = policiesOfUnit().stream().findFirst();
      boolean take = prechecks == null || !Boolean.FALSE.equals(prechecks.takeBackupIfMissing());
      if (!recent && take && (policy.isPresent() || record.run().backupRequest() != null)) {
        takeBackup(policy, newest, within);
      } else if (newest.isEmpty()) {
        throw new RunFailure(EventReason.MaintenancePrecheckFailed,
            "no BackupPolicy of unit " + unitName + " reports a successful backup; maintenance needs one younger than "
                + within + " (set spec.prechecks.requireBackup: false to run without)");
      } else if (!recent) {
        throw new RunFailure(EventReason.MaintenancePrecheckFailed, "the newest backup of unit " + unitName + " ended at "
            + newest.get() + ", older than requireBackupWithin " + within);
      }
    }
    try (Connection c = access.direct().getConnection(); var s = c.createStatement()) {
      s.execute("SELECT 1");
    } catch (SQLException e) {
      throw new RunFailure(EventReason.MaintenancePrecheckFailed, DatabaseFailures.classify(access.target(), e).getMessage(), e);
    }
  }

  /**
   * Asks the unit's BackupPolicy for an on-demand backup and waits, in phase Prechecks, until it reports it. The request
   * (token = run id) is stored in the run before the annotation is written, so a restarted operator waits for the same
   * backup instead of asking again. The wait ends when the drain would no longer fit the window.
   */
  private void takeBackup(Optional<BackupPolicy> found, Optional<Instant> newest, String within)
      throws RunFailure, InterruptedException {
    BackupRequest request = record.run().backupRequest();
    String drainTimeout = record.spec().drainTimeout();
    if (request == null) {
      request = new BackupRequest(found.orElseThrow().getMetadata().getName(), record.run().id(),
          RunRecord.timestamp(services.clock().instant()));
      record.set(record.run().withBackupRequest(request));
      record.moveTo(RunPhase.Prechecks);
      services.client().resources(BackupPolicy.class).inNamespace(record.namespace()).withName(request.policy())
          .patch(PatchContext.of(PatchType.JSON_MERGE), services.client().getKubernetesSerialization().asJson(
              Map.of("metadata", Map.of("annotations", Map.of(OnDemand.BACKUP_NOW, request.token())))));
      record.event(EventRecorder.Type.Normal, EventReason.MaintenanceBackupRequested, "No backup of unit " + record.run().unit()
          + " is younger than " + within + " (newest: " + newest.map(Instant::toString).orElse("none") + "); asked BackupPolicy "
          + request.policy() + " for one (request " + request.token() + ") and waiting");
    }
    Instant requested = Instant.parse(request.requestedAt());
    Instant deadline = Instant.parse(record.run().windowEnd()).minus(ApiDurations.parse(drainTimeout));
    String asked = "the backup requested from BackupPolicy " + request.policy() + " at " + request.requestedAt();
    while (true) {
      if (leaseLost.getAsBoolean()) {
        throw new RunFailure(EventReason.MaintenanceFailed, "lost the unit's maintenance Lease while waiting for " + asked);
      }
      BackupPolicy policy = services.policies().get(record.namespace(), request.policy()).orElse(null);
      if (policy == null) {
        throw new RunFailure(EventReason.MaintenancePrecheckFailed, asked + " will not come: the policy was deleted");
      }
      OnDemandRequest handled = policy.getStatus() != null ? policy.getStatus().lastOnDemandBackup() : null;
      if (handled != null && request.token().equals(handled.token())) {
        if ("Succeeded".equals(handled.outcome())) {
          return;
        }
        throw new RunFailure(EventReason.MaintenancePrecheckFailed, asked + " " + handled.outcome().toLowerCase(Locale.ROOT)
            + ": " + handled.message());
      }
      if (newestBackup().filter(t -> t.isAfter(requested)).isPresent()) {
        return; // another backup (a scheduled one) finished after the request: just as good
      }
      if (!services.clock().instant().isBefore(deadline)) {
        var degraded = policy.getStatus() != null ? Conditions.find(policy.getStatus().conditions(), Conditions.DEGRADED) : null;
        throw new RunFailure(EventReason.MaintenancePrecheckFailed, asked + " had not finished by " + RunRecord.timestamp(deadline)
            + ", the last moment the drain (drainTimeout " + drainTimeout + ") still fits the window"
            + (degraded != null && "True".equals(degraded.getStatus()) ? "; the policy is Degraded: " + degraded.getMessage() : ""));
      }
      Thread.sleep(BACKUP_POLL.toMillis());
    }
  }

  /** The unit's BackupPolicies, by name: the first one is asked for backups. */
  private List<BackupPolicy> policiesOfUnit() {
    return services.policies().list(record.namespace(),
        p -> p.getSpec() != null && record.run().unit().equals(p.getSpec().databaseUnit()));
  }

  /** End time of the newest successful backup any BackupPolicy of the unit reports. */
  private Optional<Instant> newestBackup() {
    return policiesOfUnit().stream()
        .filter(p -> p.getStatus() != null)
        .flatMap(p -> {
          List<String> times = new ArrayList<>();
          if (p.getStatus().lastBackup() != null) {
            times.add(p.getStatus().lastBackup().endTime());
          }
          if (p.getStatus().tiers() != null) {
            p.getStatus().tiers().forEach(t -> times.add(t.lastSuccessTime()));
          }
          return times.stream();
        })
        .filter(Objects::nonNull)
        .map(Instant::parse)
        .max(Instant::compareTo);
  }
}
