package dev.databaseunit.operator.maintenance;

import dev.databaseunit.operator.pool.AdminEndpoint;

/** Builds the drain point for a unit's PgBouncer admin console. */
@FunctionalInterface
public interface DrainPoints {
  DrainPoint forConsole(AdminEndpoint console);
}
