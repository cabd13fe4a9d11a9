package dev.databaseunit.operator.backup;

import dev.databaseunit.operator.storage.KeyEncryptionKey;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.Check;
import dev.databaseunit.operator.postgres.DatabaseFailures;
import dev.databaseunit.operator.postgres.PostgresTarget;
import java.io.IOException;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A restore test: the backup is fetched, verified (sha256, AES-GCM) and restored with pg_restore into a scratch
 * database on the server given (the unit's own, or a separate scratch instance), which is checked (row counts and checksums against the manifest, amcheck on
 * btree indexes, every vector index answering through an index scan) and always dropped afterwards. The
 * recovery time is fetch + decrypt + restore, compared with the RTO; the backup's age is compared with the RPO.
 */
public final class RestoreTester {
  private final PostgresTools tools;
  private final Clock clock;

  public RestoreTester(PostgresTools tools, Clock clock) {
    this.tools = tools;
    this.clock = clock;
  }

  public record CheckResult(Check check, boolean passed, String detail) {}

  public record Result(String backupId, Instant start, Instant end, Duration recoveryTime, Duration backupAge,
      boolean rtoMet, boolean rpoMet, List<CheckResult> checks) {
    public boolean passed() {
      return checks.stream().allMatch(CheckResult::passed);
    }
  }

  /** @param unitTarget the server the scratch database is created on (the unit's, or spec.restoreTest.scratchInstance) */
  public Result test(BackupManifest manifest, BackupCatalog catalog, KeyEncryptionKey kek, PostgresTarget unitTarget,
      PostgresTools.RestoreSession session, Duration rto, Duration rpo) throws SQLException {
    Instant start = clock.instant();
    Duration age = Duration.between(manifest.endTime(), start);
    String scratch = "du_restore_test_" + HexFormat.of().formatHex(randomBytes());
    PostgresTarget scratchTarget = unitTarget.withDatabase(scratch);
    List<CheckResult> checks = new ArrayList<>();
    Duration recovery;
    admin(unitTarget, "CREATE DATABASE " + scratch);
    try {
      try {
        restore(manifest, catalog, kek, scratchTarget, session, rto);
        recovery = Duration.between(start, clock.instant());
        checks.add(new CheckResult(Check.RESTORE_VALIDATION, true, "sha256 and AES-GCM verified; "
            + (BackupReader.authenticity(manifest, kek) == ManifestMac.Authenticity.AUTHENTICATED ? "manifest authenticated"
                : "manifest UNAUTHENTICATED (written before manifests carried a MAC; it gets one at the next housekeeping)")
            + "; pg_restore of " + manifest.storedBytes() + " bytes into " + scratchTarget + " (maintenance_work_mem "
            + session.maintenanceWorkMemMiB() + " MB, " + session.jobs() + " jobs per index build) succeeded"));
        checks.add(integrity(manifest, scratchTarget));
      } catch (IOException | InterruptedException e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        recovery = Duration.between(start, clock.instant());
        checks.add(new CheckResult(Check.RESTORE_VALIDATION, false, e.getMessage()));
        checks.add(new CheckResult(Check.DATA_INTEGRITY_CHECK, false, "not run: the restore failed"));
      }
    } finally {
      admin(unitTarget, "DROP DATABASE IF EXISTS " + scratch + " WITH (FORCE)");
    }
    boolean restored = checks.getFirst().passed();
    boolean rtoMet = restored && recovery.compareTo(rto) <= 0;
    boolean rpoMet = age.compareTo(rpo) <= 0;
    checks.add(new CheckResult(Check.RECOVERY_TIME_MEASUREMENT, rtoMet && rpoMet,
        (restored ? "recovered in " + seconds(recovery) : "no recovery (failed after " + seconds(recovery) + ")")
            + " against RTO " + rto + "; backup age " + seconds(age) + " against RPO " + rpo));
    return new Result(manifest.backupId(), start, clock.instant(), recovery, age, rtoMet, rpoMet, List.copyOf(checks));
  }

  private static byte[] randomBytes() {
    byte[] b = new byte[6];
    ThreadLocalRandom.current().nextBytes(b);
    return b;
  }

  /** pg_restore is stopped at the RTO: a restore that takes longer has failed the test anyway. */
  private void restore(BackupManifest manifest, BackupCatalog catalog, KeyEncryptionKey kek, PostgresTarget scratch,
      PostgresTools.RestoreSession session, Duration rto) throws IOException, InterruptedException {
    try (var restore = tools.restore(scratch, session, rto);
        InputStream stored = catalog.store().open(manifest.objectKey());
        InputStream archive = BackupReader.archive(manifest, stored, kek)) {
      restore.feed(archive, false);
    }
  }

  private CheckResult integrity(BackupManifest manifest, PostgresTarget scratch) {
    try (Connection c = tools.connect(scratch)) {
      List<String> problems = new ArrayList<>();
      Map<String, TableSnapshot.Table> restored = TableSnapshot.take(c).stream()
          .collect(Collectors.toMap(TableSnapshot.Table::qualifiedName, Function.identity()));
      int checksums = 0;
      for (TableSnapshot.Table expected : manifest.tables()) {
        TableSnapshot.Table actual = restored.remove(expected.qualifiedName());
        if (actual == null) {
          problems.add(expected.qualifiedName() + " is missing");
        } else if (actual.rows() != expected.rows()) {
          problems.add(expected.qualifiedName() + " has " + actual.rows() + " rows, the manifest " + expected.rows());
        } else if (expected.checksum() != null) {
          checksums++;
          if (!expected.checksum().equals(actual.checksum())) {
            problems.add(expected.qualifiedName() + " has the right row count but different content (checksum)");
          }
        }
      }
      restored.keySet().forEach(extra -> problems.add(extra + " is not in the manifest"));
      String amcheck = amcheck(c);
      String vectors = vectorIndexes(c, problems);
      String summary = manifest.tables().size() + " tables, row counts compared; " + checksums + " checksums compared; "
          + amcheck + "; " + vectors;
      return problems.isEmpty()
          ? new CheckResult(Check.DATA_INTEGRITY_CHECK, true, summary)
          : new CheckResult(Check.DATA_INTEGRITY_CHECK, false, String.join("; ", problems.subList(0, Math.min(5, problems.size())))
              + (problems.size() > 5 ? "; and " + (problems.size() - 5) + " more" : ""));
    } catch (SQLException e) {
      return new CheckResult(Check.DATA_INTEGRITY_CHECK, false,
          "check query failed: " + DatabaseFailures.redact(e.getMessage(), scratch.password()));
    }
  }

  /** bt_index_check on every user btree index when amcheck is installable; it raises an error on corruption. */
  private static String amcheck(Connection c) throws SQLException {
    try (var st = c.createStatement()) {
      try (var rs = st.executeQuery("SELECT 1 FROM pg_available_extensions WHERE name = 'amcheck'")) {
        if (!rs.next()) {
          return "amcheck not available on this server";
        }
      }
      try {
        st.execute("CREATE EXTENSION IF NOT EXISTS amcheck");
      } catch (SQLException e) {
        if (!"42501".equals(e.getSQLState())) {
          throw e;
        }
        // A scratch instance's role may create databases but not this untrusted extension.
        return "amcheck not installable by the restoring role";
      }
      try (var rs = st.executeQuery("""
          SELECT count(bt_index_check(c.oid))
          FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
            JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE am.amname = 'btree' AND i.indisvalid AND n.nspname NOT IN ('pg_catalog', 'information_schema')
            AND n.nspname NOT LIKE 'pg_toast%'""")) {
        rs.next();
        return "amcheck verified " + rs.getInt(1) + " btree indexes";
      }
    }
  }

  /** Each hnsw/ivfflat index must serve a nearest-neighbour query through an index scan. */
  private static String vectorIndexes(Connection c, List<String> problems) throws SQLException {
    record VectorIndex(String index, String table, String column, String opclass) {}
    List<VectorIndex> indexes = new ArrayList<>();
    try (var st = c.createStatement(); var rs = st.executeQuery("""
        SELECT format('%I', ic.relname), format('%I.%I', n.nspname, tc.relname), format('%I', a.attname), oc.opcname
        FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam
          JOIN pg_class tc ON tc.oid = i.indrelid JOIN pg_namespace n ON n.oid = tc.relnamespace
          JOIN pg_attribute a ON a.attrelid = tc.oid AND a.attnum = i.indkey[0]
          JOIN pg_opclass oc ON oc.oid = i.indclass[0]
        WHERE am.amname IN ('hnsw', 'ivfflat')""")) {
      while (rs.next()) {
        indexes.add(new VectorIndex(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)));
      }
    }
    for (VectorIndex v : indexes) {
      String operator = v.opclass().contains("cosine") ? "<=>" : v.opclass().contains("ip") ? "<#>" : "<->";
      String query = "SELECT 1 FROM " + v.table() + " ORDER BY " + v.column() + " " + operator + " (SELECT " + v.column()
          + " FROM " + v.table() + " WHERE " + v.column() + " IS NOT NULL LIMIT 1) LIMIT 5";
      c.setAutoCommit(false);
      try (var st = c.createStatement()) {
        st.execute("SET LOCAL enable_seqscan = off");
        StringBuilder plan = new StringBuilder();
        try (var rs = st.executeQuery("EXPLAIN " + query)) {
          while (rs.next()) {
            plan.append(rs.getString(1)).append('\n');
          }
        }
        if (!plan.toString().contains("Index Scan using " + v.index())) {
          problems.add("vector index " + v.index() + " is not used for a nearest-neighbour query");
        }
        try (var rs = st.executeQuery(query)) {
          rs.next();
        }
      } finally {
        c.rollback();
        c.setAutoCommit(true);
      }
    }
    return indexes.size() + " vector indexes answered through an index scan";
  }

  private void admin(PostgresTarget target, String sql) throws SQLException {
    try (Connection c = tools.connect(target); var st = c.createStatement()) {
      st.execute(sql);
    }
  }

  static String seconds(Duration d) {
    return String.format(java.util.Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
  }
}
