package dev.databaseunit.operator.api.v1alpha1;

/** Patterns shared by several API fields, so every kind accepts the same shapes. */
public final class ApiPatterns {
  /** A Kubernetes object name (DNS-1123 subdomain, as for Secrets and ConfigMaps). */
  public static final String K8S_NAME = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
  /** An unquoted SQL identifier we are willing to manage (tables, columns, indexes, databases, roles). */
  public static final String SQL_IDENTIFIER = "^[a-z_][a-z0-9_]{0,62}$";
  /** A schema-qualified or plain table name. */
  public static final String SQL_TABLE = "^([a-z_][a-z0-9_]{0,62}\\.)?[a-z_][a-z0-9_]{0,62}$";
  /** A positive duration such as 300s, 5m, 4h, 30d or 12w (weeks of 7 days); zero is not a duration we accept. */
  public static final String POSITIVE_DURATION = "^[1-9][0-9]*(ms|s|m|h|d|w)$";
  /**
   * A Quartz cron expression: seconds, minutes, hours, day of month, month, day of week and an optional
   * year. The pattern checks the shape; the operator parses it with Quartz and reports a Degraded
   * condition for an expression that fits the shape but not the calendar.
   */
  public static final String QUARTZ_CRON =
      "^[0-9*/,-]+ [0-9*/,-]+ [0-9*/,-]+ [0-9*?/,LW-]+ [0-9A-Za-z*/,-]+ [0-9A-Za-z*?/,L#-]+( [0-9*/,-]+)?$";
  /** An IANA time zone name such as UTC or Europe/Berlin. */
  public static final String TIME_ZONE = "^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$";
  /** A Kubernetes resource quantity for storage, e.g. 10Gi. */
  public static final String STORAGE_QUANTITY = "^[1-9][0-9]*(Ki|Mi|Gi|Ti)$";
  /** A Redis memory size, e.g. 256mb or 1gb. */
  public static final String REDIS_MEMORY = "^[1-9][0-9]*(kb|mb|gb)$";

  private ApiPatterns() {}
}
