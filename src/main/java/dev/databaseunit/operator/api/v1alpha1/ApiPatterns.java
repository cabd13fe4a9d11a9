package dev.databaseunit.operator.api.v1alpha1;

/**
 * The shapes string fields of the API accept, each with the message a person sees when a value does not fit.
 *
 * <p>They are checked by CEL rules ({@code @ValidationRule} on the enclosing record, {@code fieldPath} at the field)
 * rather than by OpenAPI {@code pattern}: the API server reports a pattern as the raw regex, a rule by its message.
 * Each message says what the field must be and shows a valid value; the API server prefixes it with the field's path.
 * Every field checked so has a maxLength, which keeps the rules' estimated cost within the API server's limits.
 */
public final class ApiPatterns {
  /** A Kubernetes object name (DNS-1123 subdomain, as for Secrets and ConfigMaps). */
  public static final String K8S_NAME = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
  public static final String K8S_NAME_MESSAGE = "must be the name of a Kubernetes object: lower-case letters, digits, '-' and "
      + "'.', starting and ending with a letter or digit (e.g. recipes-db)";
  /** An unquoted SQL identifier we are willing to manage (tables, columns, indexes, databases, roles). */
  public static final String SQL_IDENTIFIER = "^[a-z_][a-z0-9_]{0,62}$";
  public static final String SQL_IDENTIFIER_MESSAGE = "must be a lower-case SQL identifier: a letter or '_', then up to 62 "
      + "letters, digits or '_' (e.g. recipe_embeddings)";
  /** A schema-qualified or plain table name. */
  public static final String SQL_TABLE = "^([a-z_][a-z0-9_]{0,62}\\.)?[a-z_][a-z0-9_]{0,62}$";
  public static final String SQL_TABLE_MESSAGE = "must be a table name, optionally schema-qualified, in lower-case SQL "
      + "identifiers (e.g. recipes or public.recipes)";
  /** A positive duration such as 300s, 5m, 4h, 30d or 12w (weeks of 7 days); zero is not a duration we accept. */
  public static final String POSITIVE_DURATION = "^[1-9][0-9]*(ms|s|m|h|d|w)$";
  public static final String POSITIVE_DURATION_MESSAGE = "must be a positive duration: a whole number and one of ms, s, m, h, "
      + "d, w (e.g. 300s, 15m, 4h, 30d, 12w)";
  /**
   * A schedule in either syntax: a Kubernetes CronJob schedule (minute, hour, day of month, month, day of week, or a macro
   * such as @daily) or a Quartz cron (seconds first, 6-7 fields). The pattern checks the shape; the operator parses it and
   * reports a Degraded condition for one that fits the shape but not the calendar.
   */
  public static final String CRON = "^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)"
      + "|[0-9*/,-]+ [0-9*/,-]+ [0-9*/,-]+ ([0-9*/,-]|[A-Za-z]{3})+ ([0-9*/,-]|[A-Za-z]{3})+"
      + "|[0-9*/,-]+ [0-9*/,-]+ [0-9*/,-]+ [0-9*?/,LW-]+ [0-9A-Za-z*/,-]+ [0-9A-Za-z*?/,L#-]+( [0-9*/,-]+)?)$";
  public static final String CRON_FORMS = "a Kubernetes CronJob schedule (5 fields, e.g. \"0 3 * * *\", or @daily) or a "
      + "Quartz cron (6-7 fields, e.g. \"0 0 3 * * ?\")";
  public static final String CRON_MESSAGE = "must be " + CRON_FORMS;
  /** A 5-field schedule restricting both day of month and day of week (CronJob: either matches; Quartz cannot say it). */
  public static final String CRON_BOTH_DAYS = "^[^ ]+ [^ ]+ ([^* ]|[*][^ ])[^ ]* [^ ]+ ([^* ]|[*][^ ])[^ ]*$";
  public static final String CRON_BOTH_DAYS_MESSAGE = "restricts both day-of-month and day-of-week, so as a CronJob schedule it "
      + "fires when either matches, which a Quartz cron cannot express: restrict one and write * for the other "
      + "(e.g. \"0 3 1 * *\" or \"0 3 * * 1\")";
  /** An IANA time zone name such as UTC or Europe/Berlin. */
  public static final String TIME_ZONE = "^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$";
  public static final String TIME_ZONE_MESSAGE = "must be an IANA time zone name (e.g. UTC, Europe/Berlin or America/New_York)";
  /** A Kubernetes resource quantity for storage, e.g. 10Gi. */
  public static final String STORAGE_QUANTITY = "^[1-9][0-9]*(Ki|Mi|Gi|Ti)$";
  public static final String STORAGE_QUANTITY_MESSAGE = "must be a storage size: a whole number and Ki, Mi, Gi or Ti (e.g. 10Gi)";
  /** A Redis memory size, e.g. 256mb or 1gb. */
  public static final String REDIS_MEMORY = "^[1-9][0-9]*(kb|mb|gb)$";
  public static final String REDIS_MEMORY_MESSAGE = "must be a Redis memory size: a whole number and kb, mb or gb (e.g. 256mb)";
  /** A key of a Secret's data. */
  public static final String SECRET_KEY = "^[-._a-zA-Z0-9]+$";
  public static final String SECRET_KEY_MESSAGE = "must be a key of the Secret: letters, digits, '-', '_' and '.' (e.g. password)";
  /** A DNS name or an IPv4 address. */
  public static final String HOST = "^[A-Za-z0-9]([-.A-Za-z0-9]*[A-Za-z0-9])?$";
  public static final String HOST_MESSAGE = "must be a host name or IP address: letters, digits, '-' and '.' (e.g. db.example.com)";
  /** An S3 bucket name. */
  public static final String BUCKET = "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$";
  public static final String BUCKET_MESSAGE = "must be a bucket name: 3-63 lower-case letters, digits, '.' and '-', starting and "
      + "ending with a letter or digit (e.g. recipes-backups)";
  /** A key prefix in a bucket: empty, or path segments each ending in '/'. */
  public static final String OBJECT_PREFIX = "^([-a-zA-Z0-9_.!~*'()]+/)*$";
  public static final String OBJECT_PREFIX_MESSAGE = "must be empty or end in '/', using letters, digits and -_.!~*'() "
      + "(e.g. recipes/ or prod/recipes/)";
  /** An http(s) URL. */
  public static final String URL = "^https?://[^\\s]+$";
  public static final String URL_MESSAGE = "must be an http:// or https:// URL without spaces (e.g. http://minio.storage:9000)";
  /** A storage region name. */
  public static final String REGION = "^[a-z0-9-]+$";
  public static final String REGION_MESSAGE = "must be a region name: lower-case letters, digits and '-' (e.g. eu-central-1)";
  /** An id of an encryption key, recorded in manifests. */
  public static final String KEY_ID = "^[-._a-zA-Z0-9]{1,64}$";
  public static final String KEY_ID_MESSAGE = "must be 1-64 letters, digits, '-', '_' or '.' (e.g. kek-2026-01)";
  /** A Redis key namespace. */
  public static final String KEY_PREFIX = "^[a-z0-9][-a-z0-9_.]{0,62}$";
  public static final String KEY_PREFIX_MESSAGE = "must be 1-63 lower-case letters, digits, '-', '_' and '.', starting with a "
      + "letter or digit (e.g. recipes)";
  /** A backup's id as its manifest and the BackupPolicy's status name it. */
  public static final String BACKUP_ID = "^[a-z0-9][-a-zA-Z0-9_.]*$";
  public static final String BACKUP_ID_MESSAGE = "must be a backup id as the BackupPolicy's status shows it "
      + "(e.g. daily-20261125T030000Z-1a2b)";
  /** One token: no whitespace anywhere. */
  public static final String NO_WHITESPACE = "^[^\\s]+$";
  public static final String NO_WHITESPACE_MESSAGE = "must be one word without spaces (e.g. 42 or user-7f3a)";

  private ApiPatterns() {}
}
