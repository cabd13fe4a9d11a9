package dev.databaseunit.operator.gdpr;

import dev.databaseunit.operator.api.v1alpha1.GdprRequestSpec;
import dev.databaseunit.operator.common.UnitProblem;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * Carries out GdprRequests against a unit's database, exactly once: the "completed" audit row of an erasure is
 * written in the erasure's own transaction, so a request whose transaction committed is recognised and
 * reported instead of re-run, and one that did not commit left nothing behind and simply runs again. An export
 * is written to a key derived from the request, so a re-run after a crash overwrites the same object.
 * Requests for one subject are serialised with an advisory lock on the subject's hash.
 */
public final class GdprService {
  /** Who asks for what about whom; {@code uid} is the GdprRequest's metadata.uid. */
  public record Request(String uid, String subjectId, String actor, String reason) {}

  /** A unit's database made ready for requests: the checked plan, its audit table and the unit's subject hash key. */
  public record Prepared(SubjectPlan plan, AuditLog audit, SubjectKey key) {
    public String hash(String subjectId) {
      return key.hash(subjectId);
    }
  }

  /**
   * An erasure's result. {@code subjectIdFits} is false when the id cannot even be a value of the subject columns
   * (e.g. text for a bigint key): nothing can match it. {@code replayed}: found already committed, not re-run.
   */
  public record Erasure(String subjectHash, Map<String, Long> counts, boolean dryRun, boolean subjectIdFits,
      Map<String, List<String>> deletedKeys, boolean replayed) {
    public boolean subjectFound() {
      return SubjectEraser.total(counts) > 0;
    }
  }

  public record Export(String subjectHash, String location, String sha256, long sizeBytes, Map<String, Long> rowCounts,
      boolean replayed) {}

  /** Detail of a completed erasure: the cache ids of the rows it deleted, per table. */
  private static final String CACHE_KEYS = "cacheKeys";

  private final Clock clock;
  private final SubjectEraser.DeletionListener listener;

  /** @param listener called after each table's delete inside the transaction (tests inject faults here) */
  public GdprService(Clock clock, SubjectEraser.DeletionListener listener) {
    this.clock = clock;
    this.listener = listener;
  }

  /**
   * Creates the salt (for ledger entries from before keyed hashes), audit and ledger tables if missing and checks the
   * plan against the catalog.
   *
   * @param key the unit's subject hash key
   */
  public Prepared prepare(DataSource dataSource, SubjectPlan plan, SubjectKey key) throws SQLException, UnitProblem {
    try (Connection c = dataSource.getConnection()) {
      SubjectCatalog.verify(c, plan);
      SubjectHash.salt(c);
      var audit = new AuditLog(plan.auditTable());
      audit.ensure(c);
      ErasureLedger.ensure(c);
      return new Prepared(plan, audit, key);
    }
  }

  /** The "requested" audit row, written once per request however often this is called. */
  public void requested(DataSource dataSource, Prepared prepared, Request request, boolean erase) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      prepared.audit().appendOnce(c, entry(prepared, request, erase, AuditLog.Stage.requested, "accepted", null, null));
    }
  }

  public Erasure erase(DataSource dataSource, Prepared prepared, Request request, boolean dryRun,
      Map<String, String> cacheKeyColumns) throws SQLException {
    String hash = prepared.hash(request.subjectId());
    try (Connection c = dataSource.getConnection()) {
      var done = prepared.audit().completed(c, request.uid(), true);
      if (done.isPresent()) {
        // A retry after the cache could not be cleared: the rows are gone, the keys of what they held are in the audit row.
        return new Erasure(hash, done.get().counts(), dryRun, !Boolean.FALSE.equals(fits(done.get().detail())),
            cacheKeys(done.get().detail()), true);
      }
      prepared.audit().append(c, entry(prepared, request, true, AuditLog.Stage.started, "running", null, null));
      c.setAutoCommit(false);
      try {
        lock(c, "pg_advisory_xact_lock", hash);
        Erasure erasure;
        try {
          erasure = dryRun
              ? new Erasure(hash, SubjectEraser.count(c, prepared.plan(), request.subjectId()), true, true, Map.of(), false)
              : deleteAndRecord(c, prepared, request, hash, cacheKeyColumns);
        } catch (SQLException e) {
          if (!isDataException(e)) {
            throw e;
          }
          // The id is not a value of the subject columns' type: no row can hold it. Record that, delete nothing.
          c.rollback();
          lock(c, "pg_advisory_xact_lock", hash);
          erasure = new Erasure(hash, zeroCounts(prepared.plan()), dryRun, false, Map.of(), false);
        }
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("dryRun", dryRun);
        detail.put("subjectIdFits", erasure.subjectIdFits());
        if (!erasure.deletedKeys().isEmpty()) {
          detail.put(CACHE_KEYS, erasure.deletedKeys());
        }
        prepared.audit().append(c, entry(prepared, request, true, AuditLog.Stage.completed,
            erasure.subjectFound() ? (dryRun ? "dry-run" : "erased") : "subject-not-found", erasure.counts(), detail));
        c.commit();
        return erasure;
      } catch (SQLException | RuntimeException e) {
        rollbackQuietly(c, e);
        failed(c, prepared, request, true, e);
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    }
  }

  private Erasure deleteAndRecord(Connection tx, Prepared prepared, Request request, String hash,
      Map<String, String> cacheKeyColumns) throws SQLException {
    var deleted = SubjectEraser.delete(tx, prepared.plan(), request.subjectId(), cacheKeyColumns, listener);
    var erasure = new Erasure(hash, deleted.counts(), false, true, deleted.keys(), false);
    if (erasure.subjectFound()) {
      ErasureLedger.record(tx, new ErasureLedger.Entry(hash, request.uid(), clock.instant(), prepared.key().scheme()));
    }
    return erasure;
  }

  /**
   * Streams the export into {@code store} under {@code key}. The subject lock is a shared session lock taken
   * before the snapshot, so an export never starts from a state an erasure in progress is about to change.
   */
  public Export export(DataSource dataSource, Prepared prepared, Request request, GdprRequestSpec.Format format,
      ExportStore store, String key) throws SQLException, IOException {
    String hash = prepared.hash(request.subjectId());
    try (Connection c = dataSource.getConnection()) {
      var done = prepared.audit().completed(c, request.uid(), false);
      if (done.isPresent()) {
        Map<String, Object> d = done.get().detail();
        return new Export(hash, (String) d.get("location"), (String) d.get("sha256"), ((Number) d.get("sizeBytes")).longValue(),
            done.get().counts(), true);
      }
      prepared.audit().append(c, entry(prepared, request, false, AuditLog.Stage.started, "running", null, null));
      lock(c, "pg_advisory_lock_shared", hash);
      try {
        var upload = store.upload(key);
        var digest = sha256();
        var counter = new CountingStream(new DigestOutputStream(upload, digest));
        Map<String, Long> counts;
        try {
          counts = SubjectExporter.export(c, prepared.plan(), request.subjectId(), hash, format, clock.instant(), counter);
          counter.flush();
          upload.complete();
        } catch (SQLException | IOException | RuntimeException e) {
          upload.abort();
          throw e;
        }
        var export = new Export(hash, store.location(key), HexFormat.of().formatHex(digest.digest()), counter.count, counts, false);
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("location", export.location());
        detail.put("sha256", export.sha256());
        detail.put("sizeBytes", export.sizeBytes());
        detail.put("format", format.name().toLowerCase(java.util.Locale.ROOT));
        prepared.audit().append(c, entry(prepared, request, false, AuditLog.Stage.completed,
            SubjectEraser.total(counts) > 0 ? "exported" : "subject-not-found", counts, detail));
        return export;
      } catch (SQLException | IOException | RuntimeException e) {
        failed(c, prepared, request, false, e);
        throw e;
      } finally {
        lock(c, "pg_advisory_unlock_shared", hash);
      }
    }
  }

  /** A broken connection cannot roll back, but then the server has already aborted the transaction. */
  private static void rollbackQuietly(Connection c, Exception cause) {
    try {
      c.rollback();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }

  /** Best effort: the failure is also in the request's status and Events; a broken connection cannot write it. */
  private static void failed(Connection c, Prepared prepared, Request request, boolean erase, Exception cause) {
    try {
      if (!c.isClosed() && c.isValid(2)) {
        prepared.audit().append(c, entry(prepared, request, erase, AuditLog.Stage.failed, "failed",
            null, Map.of("error", cause.getClass().getSimpleName())));
        if (!c.getAutoCommit()) {
          c.commit();
        }
      }
    } catch (SQLException ignored) {
      // the request is retried and audited again
    }
  }

  private static AuditLog.Entry entry(Prepared prepared, Request request, boolean erase, AuditLog.Stage stage, String outcome,
      Map<String, Long> counts, Map<String, Object> detail) {
    return new AuditLog.Entry(AuditLog.action(erase, stage), request.uid(), prepared.hash(request.subjectId()),
        request.actor(), request.reason(), outcome, counts, detail);
  }

  private static void lock(Connection c, String function, String hash) throws SQLException {
    try (var ps = c.prepareStatement("SELECT " + function + "(?)")) {
      ps.setLong(1, SubjectHash.lockKey(hash));
      ps.execute();
    }
  }

  /** SQLSTATE class 22 (data exception): e.g. invalid input syntax for type bigint, numeric out of range. */
  private static boolean isDataException(SQLException e) {
    return e.getSQLState() != null && e.getSQLState().startsWith("22");
  }

  /** The deleted rows' cache ids per table, as the completed audit row keeps them (a replayed erasure clears them again). */
  @SuppressWarnings("unchecked")
  private static Map<String, List<String>> cacheKeys(Map<String, Object> detail) {
    Object keys = detail == null ? null : detail.get(CACHE_KEYS);
    return keys instanceof Map<?, ?> map ? (Map<String, List<String>>) map : Map.of();
  }

  private static Object fits(Map<String, Object> detail) {
    return detail == null ? null : detail.get("subjectIdFits");
  }

  private static Map<String, Long> zeroCounts(SubjectPlan plan) {
    Map<String, Long> zero = new LinkedHashMap<>();
    plan.tableNames().forEach(t -> zero.put(t, 0L));
    return zero;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static final class CountingStream extends FilterOutputStream {
    long count;

    CountingStream(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      count += len;
    }
  }
}
