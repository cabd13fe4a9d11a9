package dev.databaseunit.operator.maintenance;

import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowSpec.Task;

/**
 * The image upgrade of a managed instance. Not implemented yet (it needs a rolling restart of the managed StatefulSet
 * coordinated with the drain), so the task is reported as Skipped with that reason rather than pretending.
 */
public final class UpgradeTask implements MaintenanceTask {

  @Override
  public Task kind() {
    return Task.Upgrade;
  }

  @Override
  public String run(Target target) throws TaskSkipped {
    throw new TaskSkipped("image upgrades of managed instances are not implemented yet");
  }

  @Override
  public String rollback(Target target) {
    return "nothing to undo: no upgrade was made";
  }
}
