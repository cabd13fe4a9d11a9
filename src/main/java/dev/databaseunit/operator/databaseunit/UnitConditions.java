package dev.databaseunit.operator.databaseunit;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.events.EventRecorder;
import dev.databaseunit.operator.postgres.DatabaseInventory;
import dev.databaseunit.operator.status.Conditions;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/** A unit's conditions from what its capabilities reported, and the Events that mark a change of readiness. */
final class UnitConditions {
  /** Whether the operator's database role is no broader than it needs (False: a warning, the unit still works). */
  static final String LEAST_PRIVILEGE = "LeastPrivilege";

  private UnitConditions() {}

  /** @param leastPrivilege null when the database was not inspected in this reconcile (the condition stays as it was) */
  static List<Conditions.Desired> desired(List<UnitProblem> problems, List<String> progressing,
      Conditions.Desired leastPrivilege) {
    List<Conditions.Desired> desired = new ArrayList<>();
    if (!problems.isEmpty()) {
      UnitProblem first = problems.getFirst();
      String message = problems.stream().map(Throwable::getMessage).collect(Collectors.joining("; "));
      desired.add(new Conditions.Desired(Conditions.READY, false, first.reason().name(), message));
      desired.add(new Conditions.Desired(Conditions.DEGRADED, true, first.reason().name(), message));
    } else {
      desired.add(progressing.isEmpty()
          ? new Conditions.Desired(Conditions.READY, true, "Reconciled", "The unit matches its spec")
          : new Conditions.Desired(Conditions.READY, false, "InProgress", String.join("; ", progressing)));
      desired.add(new Conditions.Desired(Conditions.DEGRADED, false, "AsExpected", "No problems found"));
    }
    desired.add(progressing.isEmpty()
        ? new Conditions.Desired(Conditions.PROGRESSING, false, "Idle", "Nothing in progress")
        : new Conditions.Desired(Conditions.PROGRESSING, true, "InProgress", String.join("; ", progressing)));
    if (leastPrivilege != null) {
      desired.add(leastPrivilege);
    }
    return desired;
  }

  /**
   * A warning, not a failure: the operator works as a superuser, but then so could anyone who reads its Secret or steers
   * its sessions, and an application sharing the role could disable the audit trail. docs/security.md lists the grants
   * each capability needs.
   */
  static Conditions.Desired leastPrivilege(DatabaseInventory.Found found) {
    return found.broadAttributes().isEmpty()
        ? new Conditions.Desired(LEAST_PRIVILEGE, true, "OperatorRoleLimited", "The operator's role " + found.operatorRole()
            + " has no SUPERUSER, BYPASSRLS or REPLICATION")
        : new Conditions.Desired(LEAST_PRIVILEGE, false, "OperatorRoleTooBroad", "The operator logs in as " + found.operatorRole()
            + ", which has " + String.join(", ", found.broadAttributes()) + ": give it a role with only the grants in "
            + "docs/security.md (the unit works either way)");
  }

  /** Events mark changes of readiness, so a retry of the same problem does not repeat them. */
  static void recordTransition(EventRecorder events, DatabaseUnit unit, DatabaseUnitStatus previous, DatabaseUnitStatus next,
      List<UnitProblem> problems) {
    var before = Conditions.find(previous.conditions(), Conditions.READY);
    var after = Conditions.find(next.conditions(), Conditions.READY);
    if (before != null && Objects.equals(before.getStatus(), after.getStatus()) && Objects.equals(before.getReason(), after.getReason())) {
      return;
    }
    if (!problems.isEmpty()) {
      UnitProblem first = problems.getFirst();
      events.record(unit, EventRecorder.Type.Warning, first.reason(), first.getMessage());
    } else if (Conditions.isTrue(next.conditions(), Conditions.READY)) {
      events.record(unit, EventRecorder.Type.Normal, EventReason.Ready, "The unit matches its spec");
    }
  }
}
