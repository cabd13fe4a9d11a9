package dev.databaseunit.operator.maintenance;

/** Thrown by a task that declines to run (nothing was changed); the run records it as Skipped, not Failed. */
public final class TaskSkipped extends Exception {
  public TaskSkipped(String why) {
    super(why);
  }
}
