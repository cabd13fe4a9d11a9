package dev.databaseunit.operator.maintenance;

import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowSpec.Task;

/**
 * The image upgrade of a managed instance. The operator does not run managed PostgreSQL StatefulSets yet, so the
 * task is reported as Skipped with that reason rather than pretending to have upgraded anything.
 */
public final class UpgradeTask implements MaintenanceTask {

  @Override
  public Task kind() {
    return Task.Upgrade;
  }

  @Override
  public String run(Target target) {
    throw new UnsupportedOperationException("image upgrades need a managed instance, which this operator does not run yet");
  }

  @Override
  public String rollback(Target target) {
    return "nothing to undo: no upgrade was made";
  }
}
