package dev.databaseunit.operator.api.v1alpha1;

/**
 * When a disruptive change is made: as soon as the operator sees it, or only inside a MaintenanceWindow (the
 * window's task does it while PgBouncer holds the clients; between windows the operator only reports it).
 */
public enum ApplyIn { Reconcile, MaintenanceWindow }
