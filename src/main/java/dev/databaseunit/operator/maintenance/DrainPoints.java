package dev.databaseunit.operator.maintenance;

/** Builds the drain point for a PgBouncer admin console (host, port, an admin_users user and its password). */
@FunctionalInterface
public interface DrainPoints {
  DrainPoint forConsole(String host, int port, String user, String password);
}
