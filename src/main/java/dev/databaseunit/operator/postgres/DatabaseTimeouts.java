package dev.databaseunit.operator.postgres;

import dev.databaseunit.operator.api.v1alpha1.ApiDurations;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * How long the operator's database sessions may wait, per purpose: a connect timeout for every connection, and for
 * every session {@code statement_timeout}, {@code lock_timeout} and a socket timeout a little longer than the statement
 * timeout (so the server cancels first, with its own error, and a server that stops answering is noticed after that).
 * The cluster admin changes the defaults with the chart's databaseTimeouts (the DATABASE_TIMEOUTS setting).
 */
public record DatabaseTimeouts(Duration connect, Map<Purpose, SessionTimeouts> sessions) {
  /** What a session is for; each has its own defaults. */
  public enum Purpose {
    /** The unit's reconcile: inventory, catalog checks, cache triggers. Short statements. */
    RECONCILE(Duration.ofSeconds(30), Duration.ofSeconds(5)),
    /** The metrics sampler: it must never queue behind a lock. */
    METRICS(Duration.ofSeconds(10), Duration.ofSeconds(2)),
    /** Flyway migrations outside a window. */
    MIGRATIONS(Duration.ofHours(1), Duration.ofSeconds(30)),
    /** CREATE INDEX CONCURRENTLY of HNSW indexes and recall probes: a build of a large table takes hours. */
    VECTOR_INDEXES(Duration.ofHours(12), Duration.ofSeconds(30)),
    /** GdprRequests: an export streams all of a subject's rows; an erasure deletes them in one transaction. */
    GDPR(Duration.ofHours(1), Duration.ofSeconds(30)),
    /** Maintenance tasks (REINDEX CONCURRENTLY, ANALYZE, migrations in a window), bounded by the window anyway. */
    MAINTENANCE(Duration.ofHours(12), Duration.ofSeconds(30)),
    /** Backups, restore tests and bootstraps: row counts in the dump's snapshot, scratch databases, integrity checks. */
    BACKUP(Duration.ofHours(12), Duration.ofSeconds(30));

    private final SessionTimeouts defaults;

    Purpose(Duration statement, Duration lock) {
      this.defaults = new SessionTimeouts(statement, lock);
    }

    String settingName() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  /** The server cancels a statement after {@code statement}; a lock not granted within {@code lock} fails the statement. */
  public record SessionTimeouts(Duration statement, Duration lock) {
    private static final Duration MARGIN = Duration.ofSeconds(30);

    /** The client gives up on a silent server this long after the server should have cancelled the statement. */
    public Duration socket() {
      return statement.plus(MARGIN);
    }

    /** For a session's start: one SET each, so they hold for the whole session whatever the server's defaults. */
    public String setSql() {
      return "SET statement_timeout = " + statement.toMillis() + "; SET lock_timeout = " + lock.toMillis();
    }
  }

  public static final DatabaseTimeouts DEFAULT = new DatabaseTimeouts(Duration.ofSeconds(10), Map.of());

  public DatabaseTimeouts {
    var all = new EnumMap<Purpose, SessionTimeouts>(Purpose.class);
    for (Purpose p : Purpose.values()) {
      all.put(p, sessions.getOrDefault(p, p.defaults));
    }
    sessions = Map.copyOf(all);
  }

  public SessionTimeouts of(Purpose purpose) {
    return sessions.get(purpose);
  }

  /**
   * The setting's form, comma-separated: {@code connect=10s}, {@code <purpose>.statement=2h}, {@code <purpose>.lock=10s}
   * with purposes reconcile, metrics, migrations, vector-indexes, gdpr, maintenance, backup. Empty: the defaults.
   */
  public static DatabaseTimeouts parse(String setting) {
    Duration connect = DEFAULT.connect();
    Map<Purpose, SessionTimeouts> sessions = new EnumMap<>(Purpose.class);
    for (String entry : setting == null ? new String[0] : setting.split(",")) {
      if (entry.isBlank()) {
        continue;
      }
      String[] kv = entry.trim().split("=", 2);
      if (kv.length != 2) {
        throw new IllegalArgumentException("DATABASE_TIMEOUTS entry '" + entry.trim() + "' is not name=duration");
      }
      Duration value = ApiDurations.parse(kv[1].trim());
      String name = kv[0].trim();
      if (name.equals("connect")) {
        connect = value;
        continue;
      }
      int dot = name.lastIndexOf('.');
      Purpose purpose = Arrays.stream(Purpose.values()).filter(p -> dot > 0 && p.settingName().equals(name.substring(0, dot)))
          .findFirst().orElseThrow(() -> new IllegalArgumentException("DATABASE_TIMEOUTS names no purpose in '" + name + "'"));
      SessionTimeouts current = sessions.getOrDefault(purpose, purpose.defaults);
      sessions.put(purpose, switch (name.substring(dot + 1)) {
        case "statement" -> new SessionTimeouts(value, current.lock());
        case "lock" -> new SessionTimeouts(current.statement(), value);
        default -> throw new IllegalArgumentException("DATABASE_TIMEOUTS: '" + name + "' is neither .statement nor .lock");
      });
    }
    return new DatabaseTimeouts(connect, sessions);
  }
}
