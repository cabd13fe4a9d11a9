package dev.databaseunit.operator.maintenance;

import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowStatus;
import dev.databaseunit.operator.status.Conditions;
import java.time.Instant;
import java.util.List;

/** The Ready/Degraded/Progressing conditions of a MaintenanceWindow in each situation. */
final class WindowConditions {
  private WindowConditions() {}

  static MaintenanceWindowStatus running(MaintenanceWindowStatus status, long generation, Instant now, String what) {
    return status.withConditions(generation, Conditions.merge(status.conditions(), List.of(
        new Conditions.Desired(Conditions.PROGRESSING, true, "RunInProgress", what)), generation, now));
  }

  static MaintenanceWindowStatus healthy(MaintenanceWindowStatus status, long generation, Instant now, String reason, String message) {
    return status.withConditions(generation, Conditions.merge(status.conditions(), List.of(
        new Conditions.Desired(Conditions.READY, true, reason, message),
        new Conditions.Desired(Conditions.DEGRADED, false, "AsExpected", "No problems found"),
        new Conditions.Desired(Conditions.PROGRESSING, false, "Idle", "No run in progress")), generation, now));
  }

  static MaintenanceWindowStatus degraded(MaintenanceWindowStatus status, long generation, Instant now, String reason, String message) {
    return status.withConditions(generation, Conditions.merge(status.conditions(), List.of(
        new Conditions.Desired(Conditions.READY, false, reason, message),
        new Conditions.Desired(Conditions.DEGRADED, true, reason, message),
        new Conditions.Desired(Conditions.PROGRESSING, false, "Idle", "No run in progress")), generation, now));
  }
}
